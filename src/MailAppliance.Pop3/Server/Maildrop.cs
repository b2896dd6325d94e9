using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Pop3.Server;

/// <summary>
/// The maildrop as it was at login (RFC 1939 §4: messages are numbered from 1 and keep their numbers for the whole
/// session; mail that arrives later shows up at the next login), with the deletion marks of this session.
/// </summary>
public sealed class Maildrop
{
    private readonly bool[] _deleted;

    public Maildrop(MailUser user, MailboxInfo mailbox, IReadOnlyList<MessageInfo> messages)
    {
        User = user;
        Mailbox = mailbox;
        Messages = messages;
        _deleted = new bool[messages.Count];
    }

    public MailUser User { get; }

    public MailboxInfo Mailbox { get; }

    public IReadOnlyList<MessageInfo> Messages { get; }

    /// <summary>Messages not marked deleted.</summary>
    public int Count => _deleted.Count(d => !d);

    /// <summary>Octets of the messages not marked deleted, in CRLF form (what RETR sends before byte-stuffing).</summary>
    public long Octets => Messages.Where((_, i) => !_deleted[i]).Sum(m => m.CrlfSize);

    public bool IsDeleted(int number) => _deleted[number - 1];

    /// <summary>The message with this 1-based number, or null if there is none or it is marked deleted.</summary>
    public MessageInfo? Find(int number) => number >= 1 && number <= Messages.Count && !_deleted[number - 1] ? Messages[number - 1] : null;

    public bool Exists(int number) => number >= 1 && number <= Messages.Count;

    public void MarkDeleted(int number) => _deleted[number - 1] = true;

    public void Reset() => Array.Clear(_deleted);

    public IReadOnlyList<uint> DeletedUids => Messages.Where((_, i) => _deleted[i]).Select(m => m.Uid).ToList();

    public string UniqueIdOf(MessageInfo message) => Protocol.UniqueId.Format(Mailbox.UidValidity, message.Uid);
}
