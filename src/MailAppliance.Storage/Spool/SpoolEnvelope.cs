namespace MailAppliance.Storage.Spool;

/// <summary>
/// What the SMTP transaction said about a message, stored at the head of its spool file: enough to deliver it
/// (sender, recipients, their DSN parameters) and to tell its story in the logs.
/// </summary>
public sealed record SpoolEnvelope
{
    public required string QueueId { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The reverse-path without brackets; empty for the null sender (bounces).</summary>
    public required string MailFrom { get; init; }

    public required IReadOnlyList<SpoolRecipient> Recipients { get; init; }

    public string? ClientAddress { get; init; }

    public string? Helo { get; init; }

    public string? Tls { get; init; }

    public string? AuthenticatedUser { get; init; }

    public bool SmtpUtf8 { get; init; }

    public string Body { get; init; } = "7BIT";

    /// <summary>RFC 3461 §4.3 RET: FULL or HDRS (what a DSN returns); null when not given.</summary>
    public string? Ret { get; init; }

    /// <summary>RFC 3461 §4.4 ENVID, as given (xtext).</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>
    /// RFC 8689 §4.1: MAIL FROM carried REQUIRETLS, so the message is tagged for REQUIRETLS handling: it leaves only
    /// over verified TLS to a server that offers REQUIRETLS, and REQUIRETLS goes on with it.
    /// </summary>
    public bool RequireTls { get; init; }
}

/// <summary>
/// One recipient as accepted at RCPT, with its RFC 3461 parameters: <paramref name="Notify"/> (NEVER, or a comma list
/// of SUCCESS, FAILURE, DELAY; null when not given) and <paramref name="OriginalRecipient"/> (ORCPT, as given).
/// </summary>
public sealed record SpoolRecipient(string Address, string? Notify = null, string? OriginalRecipient = null)
{
    public static implicit operator SpoolRecipient(string address) => new(address);

    public override string ToString() => Address;
}
