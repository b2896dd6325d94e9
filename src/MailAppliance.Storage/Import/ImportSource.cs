using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Import;

/// <summary>
/// Where an import reads from: an mbox file or tree, a maildir, a remote IMAP or POP3 account. Folders and messages
/// are read one at a time, in order, each message's bytes streamed (never held whole).
/// </summary>
public interface IImportSource
{
    /// <summary>What the source is, for messages (a path, <c>imap://host</c>).</summary>
    string Description { get; }

    /// <summary>The folders, INBOX first when there is one.</summary>
    IAsyncEnumerable<IImportFolder> FoldersAsync(CancellationToken cancellationToken);

    /// <summary>The source's subscriptions (names as on the source, mapped like folder names); read after the folders.</summary>
    Task<IReadOnlyList<MailboxName>> SubscriptionsAsync(CancellationToken cancellationToken);
}

/// <summary>One folder of a source.</summary>
public interface IImportFolder
{
    /// <summary>The folder's name, mapped to ours (hierarchy with <c>/</c>, INBOX for the top).</summary>
    MailboxName Name { get; }

    /// <summary>The source's special use (RFC 6154 <c>\Sent</c>, <c>\Junk</c>, ...) when it said one.</summary>
    string? SpecialUse { get; }

    /// <summary>The source's UIDVALIDITY, or null when it has none (plain mbox or maildir, POP3).</summary>
    uint? UidValidity { get; }

    /// <summary>The source's UIDNEXT (meaningful with <see cref="UidValidity"/>).</summary>
    uint UidNext { get; }

    /// <summary>The messages in UID order (or file order); each must be consumed before the next is asked for.</summary>
    IAsyncEnumerable<IImportMessage> MessagesAsync(CancellationToken cancellationToken);
}

/// <summary>A message of a source, with its metadata; its bytes are written on demand.</summary>
public interface IImportMessage
{
    /// <summary>The source's UID (null: none, or not valid: it gets a new one).</summary>
    uint? Uid { get; }

    MaildirFlags Flags { get; }

    IReadOnlyList<string> Keywords { get; }

    DateTimeOffset? InternalDate { get; }

    /// <summary>An id that stays the same across runs (a POP3 UIDL, an IMAP folder+UIDVALIDITY+UID), or null.</summary>
    string? RemoteId { get; }

    /// <summary>Writes the message as it is to be stored (the source's own bookkeeping headers removed).</summary>
    Task WriteToAsync(Stream target, CancellationToken cancellationToken);
}

/// <summary>A message that could not be read; counted as failed and reported, the import goes on.</summary>
public sealed class ImportReadException : Exception
{
    public ImportReadException()
    {
    }

    public ImportReadException(string message)
        : base(message)
    {
    }

    public ImportReadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
