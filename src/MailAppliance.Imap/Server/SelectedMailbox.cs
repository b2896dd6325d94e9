using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>
/// The selected mailbox as this session has told its client about it: the message sequence (UIDs in order, with
/// flags and modseqs), the highest modseq it has seen, and expunges it could not yet report. Changes from other
/// sessions and processes are merged in by <see cref="SyncAsync"/>, which writes the untagged EXISTS, FETCH and
/// EXPUNGE responses (RFC 9051 §7.5, §7.4.1 for when EXPUNGE may be sent).
/// </summary>
public sealed class SelectedMailbox : IDisposable
{
    private readonly MessageStateList _messages;
    private readonly SortedSet<uint> _unreportedExpunges = [];

    public SelectedMailbox(MailboxInfo info, bool readOnly, MailboxSnapshot snapshot, MailboxWatch watch)
    {
        Info = info;
        ReadOnly = readOnly;
        Watch = watch;
        // The snapshot was read for this session alone: keep its compact list rather than copying it.
        _messages = snapshot.Messages;
        ModSeq = snapshot.HighestModSeq;
        UidNext = snapshot.UidNext;
    }

    public MailboxInfo Info { get; }

    public bool ReadOnly { get; }

    public MailboxWatch Watch { get; }

    public long ModSeq { get; private set; }

    public uint UidNext { get; private set; }

    public int Count => _messages.Count;

    public IReadOnlyList<MessageState> Messages => _messages;

    public uint LargestUid => _messages.Count == 0 ? 0 : _messages.UidAt(_messages.Count - 1);

    /// <summary>The 0-based index of a UID, or -1.</summary>
    public int IndexOf(uint uid) => _messages.IndexOfUid(uid);

    /// <summary>
    /// The indexes a sequence set names. For a UID set, UIDs not in the mailbox are skipped (RFC 9051 §6.4.9);
    /// for message numbers, one past the end is an error (null).
    /// </summary>
    public List<int>? Resolve(SequenceSet set, bool uid)
    {
        var indexes = new List<int>();
        if (uid)
        {
            foreach (var (low, high) in set.Resolve(LargestUid))
            {
                var start = _messages.LowerBoundUid(low);
                for (var i = start; i < _messages.Count && _messages.UidAt(i) <= high; i++)
                {
                    indexes.Add(i);
                }
            }
        }
        else
        {
            foreach (var (low, high) in set.Resolve((uint)_messages.Count))
            {
                if (low == 0 || high > _messages.Count)
                {
                    return null;
                }

                for (var n = low; n <= high; n++)
                {
                    indexes.Add((int)n - 1);
                }
            }
        }

        if (indexes.Count > 1)
        {
            indexes.Sort();
            var distinct = new List<int>(indexes.Count);
            foreach (var i in indexes)
            {
                if (distinct.Count == 0 || distinct[^1] != i)
                {
                    distinct.Add(i);
                }
            }

            return distinct;
        }

        return indexes;
    }

    /// <summary>Records a message's state as the client has now been told it.</summary>
    public void Update(MessageState state)
    {
        var i = IndexOf(state.Uid);
        if (i >= 0)
        {
            _messages[i] = state;
        }
    }

    /// <summary>Removes expunged messages this session made itself, writing an EXPUNGE for each.</summary>
    public void ExpungeReported(IEnumerable<uint> uids, ImapResponseWriter writer)
    {
        foreach (var uid in uids.Order())
        {
            var i = IndexOf(uid);
            if (i >= 0)
            {
                writer.Raw("* ").Number(i + 1).Raw(" EXPUNGE").Crlf();
                _messages.RemoveAt(i);
            }

            _unreportedExpunges.Remove(uid);
        }
    }

    /// <summary>
    /// Merges what changed in the store. <paramref name="allowExpunge"/> is false while answering FETCH, STORE or
    /// SEARCH by number: expunged messages then keep their numbers until a later command may report them.
    /// </summary>
    public async Task SyncAsync(MailStore store, ImapResponseWriter writer, bool allowExpunge, bool force, bool condStore, CancellationToken cancellationToken)
    {
        var (dirty, full) = Watch.Take();
        if (!dirty && !force && (!allowExpunge || _unreportedExpunges.Count == 0))
        {
            return;
        }

        MailboxChanges changes;
        if (full)
        {
            // A reconstruct (or a lost notification connection): compare everything.
            var snapshot = await store.LoadSnapshotAsync(Info, cancellationToken);
            var present = snapshot.Messages.Select(m => m.Uid).ToHashSet();
            var gone = _messages.Where(m => !present.Contains(m.Uid)).Select(m => m.Uid).ToList();
            changes = new MailboxChanges(true, snapshot.HighestModSeq, snapshot.UidNext, snapshot.Messages, gone);
        }
        else
        {
            changes = await store.GetChangesAsync(Info, ModSeq, cancellationToken);
        }

        if (!changes.Exists)
        {
            // The mailbox was deleted under us (RFC 9051 §7.1: BYE is one answer; Dovecot says so and closes).
            throw new MailboxGoneException();
        }

        foreach (var uid in changes.Expunged)
        {
            if (IndexOf(uid) >= 0)
            {
                _unreportedExpunges.Add(uid);
            }
        }

        if (allowExpunge && _unreportedExpunges.Count > 0)
        {
            ExpungeReported(_unreportedExpunges.ToList(), writer);
        }

        var added = 0;
        foreach (var state in changes.Changed)
        {
            var i = IndexOf(state.Uid);
            if (i >= 0)
            {
                var known = _messages[i];
                if (known.Flags != state.Flags || !known.Keywords.SequenceEqual(state.Keywords) || (condStore && known.ModSeq != state.ModSeq))
                {
                    writer.Raw("* ").Number(i + 1).Raw(" FETCH (UID ").Number(state.Uid).Raw(" FLAGS ").Raw(ImapFlags.Format(state.Flags, state.Keywords));
                    if (condStore)
                    {
                        writer.Raw(" MODSEQ (").Number(state.ModSeq).Raw(")");
                    }

                    writer.Raw(")").Crlf();
                }

                _messages[i] = state;
            }
            else if (state.Uid > LargestUid && !_unreportedExpunges.Contains(state.Uid))
            {
                _messages.Add(state);
                added++;
            }
        }

        if (added > 0)
        {
            writer.Raw("* ").Number(_messages.Count).Raw(" EXISTS").Crlf();
        }

        ModSeq = Math.Max(ModSeq, changes.HighestModSeq);
        UidNext = Math.Max(UidNext, changes.UidNext);
        await writer.FlushIfLargeAsync(cancellationToken);
    }

    public void Dispose() => Watch.Dispose();
}

/// <summary>The selected mailbox no longer exists.</summary>
public sealed class MailboxGoneException : Exception
{
    public MailboxGoneException()
        : base("the selected mailbox was deleted")
    {
    }

    public MailboxGoneException(string message)
        : base(message)
    {
    }

    public MailboxGoneException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
