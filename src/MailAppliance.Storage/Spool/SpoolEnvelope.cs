namespace MailAppliance.Storage.Spool;

/// <summary>
/// What the SMTP transaction said about a message, stored at the head of its spool file: enough to deliver it
/// (sender, recipients, parameters) and to tell its story in the logs.
/// </summary>
public sealed record SpoolEnvelope
{
    public required string QueueId { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The reverse-path without brackets; empty for the null sender (bounces).</summary>
    public required string MailFrom { get; init; }

    public required IReadOnlyList<string> Recipients { get; init; }

    public string? ClientAddress { get; init; }

    public string? Helo { get; init; }

    public string? Tls { get; init; }

    public string? AuthenticatedUser { get; init; }

    public bool SmtpUtf8 { get; init; }

    public string Body { get; init; } = "7BIT";
}
