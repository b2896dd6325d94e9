namespace MailAppliance.Storage.Queue;

/// <summary>What became of one recipient of one message.</summary>
public enum RecipientStatus
{
    /// <summary>Waiting for its first attempt.</summary>
    Queued,

    /// <summary>A temporary failure: tried again at its next attempt time.</summary>
    Deferred,

    /// <summary>Kept back by an administrator (<c>queue hold</c>) until released.</summary>
    Held,

    /// <summary>In a local mailbox, or taken by the remote server.</summary>
    Delivered,

    /// <summary>A permanent failure, reported to the sender by a DSN (unless the sender is null or asked for none).</summary>
    Bounced,

    /// <summary>Expanded into forward targets, each with a row of its own.</summary>
    Forwarded,

    /// <summary>Dropped on purpose (policy, or <c>queue delete</c>), without a DSN.</summary>
    Discarded,

    /// <summary>Version 1's "could not be delivered, no DSN": read from old rows, no longer written.</summary>
    Failed,
}

/// <summary>The statuses as the database and the CLI spell them, and which of them are final.</summary>
public static class RecipientStatuses
{
    /// <summary>Nothing more will be tried: the spool file may go once every recipient of a message is settled.</summary>
    public static bool IsSettled(RecipientStatus status) =>
        status is RecipientStatus.Delivered or RecipientStatus.Bounced or RecipientStatus.Forwarded or RecipientStatus.Discarded or RecipientStatus.Failed;

    public static string Text(RecipientStatus status) => status.ToString().ToLowerInvariant();

    public static RecipientStatus Parse(string text) => Enum.Parse<RecipientStatus>(text, ignoreCase: true);
}

/// <summary>A recipient row of the queue.</summary>
public sealed record QueueRecipient(
    string QueueId, string Recipient, RecipientStatus Status, int Attempts, DateTimeOffset NextAttemptAt, string? LastResult, string MailFrom, long Size, DateTimeOffset ReceivedAt)
{
    /// <summary>RFC 3461 NOTIFY as given at RCPT (NEVER, or a list of SUCCESS, FAILURE, DELAY); null when not given.</summary>
    public string? Notify { get; init; }

    /// <summary>RFC 3461 ORCPT as given at RCPT.</summary>
    public string? OriginalRecipient { get; init; }

    /// <summary>RFC 3461 RET as given at MAIL (FULL or HDRS).</summary>
    public string? Ret { get; init; }

    /// <summary>RFC 3461 ENVID as given at MAIL.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>The recipient this row was expanded from (a forward target), or null for a recipient given at RCPT.</summary>
    public string? Parent { get; init; }

    /// <summary>The route of the last attempt (<c>local</c>, <c>relay</c>, ...).</summary>
    public string? Route { get; init; }

    public string? SrsSender { get; init; }

    /// <summary>The node working on this row, while its lease lasts.</summary>
    public string? ClaimedBy { get; init; }

    public DateTimeOffset? ClaimExpiresAt { get; init; }

    /// <summary>A delay warning (RFC 3464 action "delayed") was sent for this recipient.</summary>
    public bool DelayWarned { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Being worked on by a node right now.</summary>
    public bool IsActive(DateTimeOffset now) => ClaimedBy is not null && ClaimExpiresAt > now;
}

/// <summary>One delivery attempt and the reply it got.</summary>
public sealed record QueueAttempt(DateTimeOffset At, string Recipient, string Node, RecipientStatus Status, string Reply);

/// <summary>
/// What an attempt did to a claimed recipient: the status the worker found (<paramref name="Expected"/>), the new
/// status and the reply, and when to try again after a temporary failure.
/// </summary>
public sealed record RecipientOutcome(
    string QueueId, string Recipient, RecipientStatus Expected, RecipientStatus Status, string Result, DateTimeOffset? NextAttempt)
{
    public string? Route { get; init; }

    public bool? DelayWarned { get; init; }
}
