namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// What never changes about a message once it has its UID: its sizes, its INTERNALDATE and its cached ENVELOPE,
/// BODY and BODYSTRUCTURE. A FETCH of those (with FLAGS and MODSEQ from the session's own view) is answered from
/// the <see cref="MessageCatalog"/>, in memory shared by every session of the process, instead of reading index
/// rows again: what Dovecot's memory-mapped index and cache files give it for a warm mailbox.
/// </summary>
/// <param name="Found">False for a UID the index does not have (expunged before it was first read).</param>
public readonly record struct MessageFacts(uint Uid, bool Found, long Size, long CrlfSize, DateTimeOffset InternalDate, byte[]? Envelope, byte[]? Body, byte[]? BodyStructure)
{
    public static MessageFacts Missing(uint uid) => new(uid, false, 0, 0, default, null, null, null);
}

/// <summary>
/// The process's <see cref="MessageFacts"/>, per mailbox, in blocks of <see cref="BlockSize"/> consecutive UIDs read
/// from the index when first asked for, so a FETCH of 100 messages in a 1,000,000-message mailbox reads one block,
/// not the mailbox. A UID's facts cannot change and a UID is never reused in a mailbox (a new mailbox gets a new id),
/// so entries are never updated, only added; deliveries commit in UID order, so once a block has seen UID n it has
/// seen every UID below n that exists. Bounded: past <see cref="MaxMessages"/> facts or <see cref="MaxViewBytes"/>
/// of views, the mailboxes used longest ago are forgotten.
/// </summary>
public sealed class MessageCatalog
{
    public const int BlockBits = 10;
    public const int BlockSize = 1 << BlockBits;

    private readonly Dictionary<long, MailboxFacts> _mailboxes = [];
    private readonly Lock _gate = new();
    private long _clock;

    // About 80 bytes a message: 1,000,000 messages take some 80 MB at most.
    public long MaxMessages { get; init; } = 1_000_000;

    public long MaxViewBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>The facts kept for a mailbox (created empty).</summary>
    internal MailboxFacts For(long mailboxId)
    {
        lock (_gate)
        {
            if (!_mailboxes.TryGetValue(mailboxId, out var facts))
            {
                facts = new MailboxFacts();
                _mailboxes[mailboxId] = facts;
            }

            facts.LastUsed = ++_clock;
            return facts;
        }
    }

    /// <summary>Forgets a mailbox (a reconstruct rewrote its rows, or it was deleted).</summary>
    public void Forget(long mailboxId)
    {
        lock (_gate)
        {
            _mailboxes.Remove(mailboxId);
        }
    }

    /// <summary>After facts or views were added: forgets the least recently used mailboxes until within bounds.</summary>
    internal void Trim()
    {
        lock (_gate)
        {
            var messages = _mailboxes.Values.Sum(m => m.Count);
            var views = _mailboxes.Values.Sum(m => m.ViewBytes);
            if (messages <= MaxMessages && views <= MaxViewBytes)
            {
                return;
            }

            foreach (var (id, facts) in _mailboxes.OrderBy(m => m.Value.LastUsed).ToList())
            {
                if (messages <= MaxMessages && views <= MaxViewBytes)
                {
                    break;
                }

                messages -= facts.Count;
                views -= facts.ViewBytes;
                _mailboxes.Remove(id);
            }
        }
    }
}

/// <summary>One mailbox's facts, by block; a block is replaced whole when it learns of newer UIDs.</summary>
internal sealed class MailboxFacts
{
    private readonly Dictionary<uint, FactsBlock> _blocks = [];
    private readonly Lock _gate = new();

    public long LastUsed { get; set; }

    public long Count { get; private set; }

    public long ViewBytes { get; private set; }

    public FactsBlock? Block(uint key)
    {
        lock (_gate)
        {
            return _blocks.GetValueOrDefault(key);
        }
    }

    /// <summary>
    /// Adds the rows read for a block's UIDs above what it had seen (in UID order); <paramref name="seenTo"/> is the
    /// highest UID the read could have returned, when the reader knows every UID up to it had committed.
    /// </summary>
    public void Extend(uint key, IReadOnlyList<FactsRow> rows, uint seenTo)
    {
        lock (_gate)
        {
            var old = _blocks.GetValueOrDefault(key);
            var kept = old?.Rows ?? [];
            var added = rows.Where(r => kept.Length == 0 || r.Uid > kept[^1].Uid).ToArray();
            var merged = added.Length == 0 ? kept : [.. kept, .. added];
            _blocks[key] = new FactsBlock(merged, Math.Max(old?.SeenTo ?? 0, seenTo));
            Count += added.Length;
        }
    }

    /// <summary>Keeps a view read from the index (a view never changes, so a slot is written once).</summary>
    public void KeepViews(FactsRow row, byte[]? envelope, byte[]? body, byte[]? bodyStructure)
    {
        lock (_gate)
        {
            ViewBytes += Keep(ref row.Envelope, envelope) + Keep(ref row.Body, body) + Keep(ref row.BodyStructure, bodyStructure);
        }
    }

    private static long Keep(ref byte[]? slot, byte[]? value)
    {
        if (slot is not null || value is null)
        {
            return 0;
        }

        slot = value;
        return value.Length;
    }
}

/// <summary>The known messages of one block, in UID order, and the highest UID the block has looked for.</summary>
internal sealed record FactsBlock(FactsRow[] Rows, uint SeenTo)
{
    public FactsRow? Find(uint uid)
    {
        int low = 0, high = Rows.Length - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var at = Rows[mid].Uid;
            if (at == uid)
            {
                return Rows[mid];
            }

            if (at < uid)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return null;
    }
}

/// <summary>One message's facts; the views are filled in when first read (written under the mailbox's lock).</summary>
internal sealed class FactsRow(uint uid, long size, long crlfSize, long internalDateTicks)
{
    public byte[]? Envelope;
    public byte[]? Body;
    public byte[]? BodyStructure;

    public uint Uid { get; } = uid;

    public long Size { get; } = size;

    public long CrlfSize { get; } = crlfSize;

    public long InternalDateTicks { get; } = internalDateTicks;
}
