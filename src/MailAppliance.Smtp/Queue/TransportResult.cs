using MailAppliance.Storage.Queue;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// What a transport did with one route of a recipient: the status it earns and the reply or reason, verbatim.
/// <paramref name="Outage"/> marks a temporary failure of our own storage (database, disk), retried within 30 s
/// rather than on the growing schedule.
/// </summary>
public sealed record TransportResult(RecipientStatus Status, string Result, bool Outage = false)
{
    /// <summary>The RFC 3463 code of the outcome (<c>5.1.1</c>), for a DSN; null when nothing more is known.</summary>
    public string? StatusCode { get; init; }

    /// <summary>The remote host that gave <see cref="Result"/> (a DSN's Remote-MTA).</summary>
    public string? RemoteMta { get; init; }

    /// <summary><see cref="Result"/> is a remote server's reply verbatim (Diagnostic-Code type <c>smtp</c>).</summary>
    public bool RemoteReply { get; init; }

    /// <summary>The address the route delivered to when it is not the recipient itself (a forward's target).</summary>
    public string? FinalRecipient { get; init; }

    /// <summary>The recipient's NOTIFY went on to a server that offers DSN: a success is its to report (RFC 3461 §4.2).</summary>
    public bool DsnPassedOn { get; init; }

    /// <summary>A remote server took the message: record the outcome durably (no second copy after a crash).</summary>
    public bool Remote { get; init; }

    /// <summary>For the delivery log: the remote host that took the message and its TLS session (issue 14: the TLS
    /// result of each delivery is logged; on the delivery line, so a delivered message costs no line of its own).</summary>
    public string? Relay { get; init; }
    /// <summary>The folders a local delivery stored into (Junk for spam, a sieve script's fileinto targets): what reports show.</summary>
    public IReadOnlyList<string> Folders { get; init; } = [];
}
