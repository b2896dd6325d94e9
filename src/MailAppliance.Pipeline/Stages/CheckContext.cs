using System.Net;

namespace MailAppliance.Pipeline.Stages;

/// <summary>
/// What a check may look at, as far as the transaction has come: the client and its greeting always, the sender from
/// MAIL on, the recipient being decided at RCPT, the recipients and the message at DATA.
/// </summary>
public sealed record CheckContext
{
    public required IPAddress ClientAddress { get; init; }

    /// <summary>The name the client gave in HELO/EHLO (null at CONNECT).</summary>
    public string? Helo { get; init; }

    /// <summary>The reverse-path without brackets; empty for the null sender; null before MAIL.</summary>
    public string? MailFrom { get; init; }

    /// <summary>At RCPT: the recipient being decided.</summary>
    public string? Recipient { get; init; }

    /// <summary>At DATA: every accepted recipient.</summary>
    public IReadOnlyList<string> Recipients { get; init; } = [];

    /// <summary>The authenticated user (submission), if any.</summary>
    public string? AuthenticatedUser { get; init; }

    public bool IsTls { get; init; }

    /// <summary>The queue id the message will have (DATA), for log lines.</summary>
    public string? QueueId { get; init; }

    /// <summary>At DATA: opens a read-only stream of the message as received (each call a new stream).</summary>
    public Func<CancellationToken, Task<Stream>>? OpenMessage { get; init; }

    /// <summary>At DATA: the message's size in octets.</summary>
    public long MessageSize { get; init; }
}
