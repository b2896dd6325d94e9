using MailAppliance.Storage.Queue;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// What a transport did with one route of a recipient: the status it earns and the reply or reason, verbatim.
/// <paramref name="Outage"/> marks a temporary failure of our own storage (database, disk), retried within 30 s
/// rather than on the growing schedule.
/// </summary>
public sealed record TransportResult(RecipientStatus Status, string Result, bool Outage = false)
{
    /// <summary>The folders a local delivery stored into (Junk for spam, a sieve script's fileinto targets): what reports show.</summary>
    public IReadOnlyList<string> Folders { get; init; } = [];
}
