using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Mailstore;

/// <summary>A user whose mail the store holds: the directory id (addresses.id) and the address.</summary>
public sealed record MailUser(long Id, MailAddress Address);

/// <summary>A mailbox as the index knows it.</summary>
public sealed record MailboxInfo(long Id, long UserId, MailboxName Name, uint UidValidity, uint UidNext, long HighestModSeq, string FolderPath);

/// <summary>One message row of the index.</summary>
public sealed record MessageInfo(
    long MailboxId,
    uint Uid,
    string BaseName,
    string FileName,
    long Size,
    long CrlfSize,
    DateTimeOffset InternalDate,
    MaildirFlags Flags,
    IReadOnlyList<string> Keywords,
    long ModSeq);

/// <summary>What a delivery asks for. <see cref="DeliveryKey"/> makes a retried delivery a no-op.</summary>
public sealed record DeliveryRequest(MailUser User, MailboxName Mailbox)
{
    public MaildirFlags Flags { get; init; }

    public IReadOnlyList<string> Keywords { get; init; } = [];

    public DateTimeOffset? InternalDate { get; init; }

    /// <summary>Unique per message and recipient (e.g. queue id + recipient); null for APPEND.</summary>
    public string? DeliveryKey { get; init; }
}

public enum DeliveryStatus
{
    Delivered,

    /// <summary>A delivery with the same key was already made: nothing was written again.</summary>
    AlreadyDelivered,
    OverQuota,
}

public sealed record DeliveryResult(DeliveryStatus Status, long MailboxId, uint UidValidity, uint Uid, string? Reason = null)
{
    public static DeliveryResult OverQuota(string reason) => new(DeliveryStatus.OverQuota, 0, 0, 0, reason);
}

/// <summary>A store operation that cannot be done for a reason the client should hear (no such mailbox, ...).</summary>
public sealed class MailstoreException : Exception
{
    public MailstoreException(MailstoreError error, string message)
        : base(message) => Error = error;

    public MailstoreException()
    {
    }

    public MailstoreException(string message)
        : base(message)
    {
    }

    public MailstoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MailstoreError Error { get; }
}

public enum MailstoreError
{
    InvalidName,
    NoSuchMailbox,
    MailboxExists,
    NoSuchMessage,
    OverQuota,
    Corrupt,
}

/// <summary>Messages copied (or moved) between two mailboxes of a user: the copies' files as published.</summary>
public sealed record MessagesCopied(MailUser User, MailboxName Source, MailboxName Target, IReadOnlyList<string> Files, bool Move);
