using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>What one merge of the store's changes told the client: the messages it reported as changed, new or gone.</summary>
public sealed record SyncReport(IReadOnlyList<uint> Changed, IReadOnlyList<uint> Added, IReadOnlyList<uint> Expunged)
{
    public static readonly SyncReport Empty = new([], [], []);

    public bool IsEmpty => Changed.Count == 0 && Added.Count == 0 && Expunged.Count == 0;
}

/// <summary>
/// The selected mailbox as this session has told its client about it: the message sequence (UIDs in order, with
/// flags and modseqs), the highest modseq it has seen, the keywords it has announced in FLAGS, the messages that are
/// \Recent in this session, and expunges it could not yet report. Changes from other sessions and processes are
/// merged in by <see cref="SyncAsync"/>, which writes the untagged EXISTS, RECENT, FETCH and EXPUNGE (or VANISHED)
/// responses (RFC 9051 §7.5, §7.4.1 for when EXPUNGE may be sent).
/// </summary>
public sealed class SelectedMailbox : IDisposable
{
    private readonly MessageStateList _messages;
    private readonly SortedSet<uint> _unreportedExpunges = [];
    private readonly SessionModes _modes;
    private readonly List<string> _keywords = [];
    private readonly HashSet<string> _knownKeywords = new(StringComparer.OrdinalIgnoreCase);

    // \Recent in this session (RFC 3501 §2.3.2): UIDs in [Low, High) of each claim. Few ranges, however many messages.
    private readonly List<(uint Low, uint High)> _recent = [];
    private int _reportedRecent;

    public SelectedMailbox(MailboxInfo info, bool readOnly, MailboxSnapshot snapshot, MailboxWatch watch, SessionModes modes, uint recentFrom)
    {
        Info = info;
        ReadOnly = readOnly;
        Watch = watch;
        _modes = modes;
        // The snapshot was read for this session alone: keep its compact list rather than copying it.
        _messages = snapshot.Messages;
        ModSeq = snapshot.HighestModSeq;
        UidNext = snapshot.UidNext;
        foreach (var keyword in snapshot.Keywords)
        {
            AddKeyword(keyword);
        }

        _recent.Add((recentFrom, readOnly ? uint.MaxValue : Math.Max(UidNext, LargestUid + 1)));
        _reportedRecent = RecentCount;
    }

    public MailboxInfo Info { get; }

    public bool ReadOnly { get; }

    public MailboxWatch Watch { get; }

    public long ModSeq { get; private set; }

    public uint UidNext { get; private set; }

    public int Count => _messages.Count;

    public IReadOnlyList<MessageState> Messages => _messages;

    public uint LargestUid => _messages.Count == 0 ? 0 : _messages.UidAt(_messages.Count - 1);

    /// <summary>How many of the messages are \Recent in this session.</summary>
    public int RecentCount
    {
        get
        {
            var count = 0;
            foreach (var (low, high) in _recent)
            {
                var start = _messages.LowerBoundUid(low);
                var end = high == uint.MaxValue ? _messages.Count : _messages.LowerBoundUid(high);
                count += Math.Max(0, end - start);
            }

            return count;
        }
    }

    /// <summary>RFC 5182 SEARCHRES: the UIDs of the last SEARCH ... RETURN (SAVE) in this mailbox ("$"); null before any.</summary>
    public IReadOnlyList<uint>? SavedResult { get; set; }

    /// <summary>RFC 5267 CONTEXT: searches whose result changes are reported until CANCELUPDATE.</summary>
    public List<UpdateSearch> UpdateSearches { get; } = [];

    /// <summary>The keywords announced in FLAGS so far.</summary>
    public IReadOnlyList<string> Keywords => _keywords;

    /// <summary>The 0-based index of a UID, or -1.</summary>
    public int IndexOf(uint uid) => _messages.IndexOfUid(uid);

    public bool IsRecent(uint uid)
    {
        foreach (var (low, high) in _recent)
        {
            if (uid >= low && uid < high)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes a message's FLAGS list as this session shows it, without building a string for the usual case.</summary>
    public void WriteFlags(ImapResponseWriter writer, uint uid, MaildirFlags flags, IReadOnlyList<string> keywords)
    {
        if (keywords.Count == 0)
        {
            writer.Bytes(ImapFlags.FormatWithoutKeywords(flags, IsRecent(uid)));
        }
        else
        {
            writer.Raw(FormatFlags(uid, flags, keywords));
        }
    }

    /// <summary>A message's FLAGS list as this session shows it (with \Recent when it is recent here).</summary>
    public string FormatFlags(uint uid, MaildirFlags flags, IReadOnlyList<string> keywords) => ImapFlags.Format(flags, keywords, IsRecent(uid));

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

    /// <summary>Writes <c>* FLAGS</c> and <c>* OK [PERMANENTFLAGS]</c> with every keyword announced so far (RFC 9051 §7.3.5, §7.1).</summary>
    public void WriteFlags(ImapResponseWriter writer)
    {
        var flags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft " + ImapFlags.Forwarded + (_keywords.Count > 0 ? " " + string.Join(' ', _keywords) : "");
        writer.Raw("* FLAGS (").Raw(flags).Raw(")").Crlf();
        if (ReadOnly)
        {
            writer.Raw("* OK [").Raw(ImapCodes.PermanentFlags).Raw(" ()] Read-only mailbox").Crlf();
        }
        else
        {
            writer.Raw("* OK [").Raw(ImapCodes.PermanentFlags).Raw(" (").Raw(flags).Raw(" \\*)] Flags permitted").Crlf();
        }
    }

    /// <summary>
    /// Announces keywords the client has not been told of yet, before any FETCH shows them (RFC 9051 §7.3.5: FLAGS
    /// lists the flags defined in the mailbox; clients such as imaptest refuse a keyword they have not seen there).
    /// </summary>
    public void AnnounceKeywords(IEnumerable<string> keywords, ImapResponseWriter writer)
    {
        var added = false;
        foreach (var keyword in keywords)
        {
            added |= AddKeyword(keyword);
        }

        if (added)
        {
            WriteFlags(writer);
        }
    }

    /// <summary>Removes expunged messages this session made itself, reporting them (EXPUNGE, or VANISHED under QRESYNC).</summary>
    public void ExpungeReported(IEnumerable<uint> uids, ImapResponseWriter writer)
    {
        var ordered = uids.Order().ToList();
        ReportRemovedFromUpdates(ordered, writer);
        var gone = new List<uint>();
        foreach (var uid in ordered)
        {
            var i = IndexOf(uid);
            if (i >= 0)
            {
                if (!_modes.QResync)
                {
                    writer.Raw("* ").Number(i + 1).Raw(" EXPUNGE").Crlf();
                }

                _messages.RemoveAt(i);
                gone.Add(uid);
            }

            _unreportedExpunges.Remove(uid);
        }

        if (_modes.QResync && gone.Count > 0)
        {
            // RFC 7162 §3.2.10: VANISHED replaces EXPUNGE once QRESYNC is enabled.
            writer.Raw("* VANISHED ").Raw(SequenceSet.Format(gone)).Crlf();
        }

        _reportedRecent = Math.Min(_reportedRecent, RecentCount);
    }

    /// <summary>
    /// RFC 5267 §4.3: expunged messages leave the results of CONTEXT UPDATE searches. Sent before the EXPUNGEs, so
    /// a result by number names the numbers the client still knows.
    /// </summary>
    private void ReportRemovedFromUpdates(IReadOnlyList<uint> expunged, ImapResponseWriter writer)
    {
        foreach (var update in UpdateSearches)
        {
            var removed = expunged.Where(u => update.Uids.Contains(u) && IndexOf(u) >= 0).ToList();
            if (removed.Count == 0)
            {
                continue;
            }

            update.Uids.ExceptWith(removed);
            var numbers = update.ByUid ? removed : removed.Select(u => (uint)(IndexOf(u) + 1)).ToList();
            writer.Raw("* ESEARCH (TAG ").String(update.Tag).Raw(")").Raw(update.ByUid ? " UID" : "")
                .Raw(" REMOVEFROM (0 ").Raw(SequenceSet.Format(numbers)).Raw(")").Crlf();
        }
    }

    /// <summary>
    /// Merges what changed in the store. <paramref name="allowExpunge"/> is false while answering FETCH, STORE or
    /// SEARCH by number: expunged messages then keep their numbers until a later command may report them.
    /// </summary>
    public async Task<SyncReport> SyncAsync(MailStore store, ImapResponseWriter writer, bool allowExpunge, bool force, CancellationToken cancellationToken)
    {
        var (dirty, full) = Watch.Take();
        if (!dirty && !force && (!allowExpunge || _unreportedExpunges.Count == 0))
        {
            return SyncReport.Empty;
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

        var expunged = new List<uint>();
        if (allowExpunge && _unreportedExpunges.Count > 0)
        {
            expunged.AddRange(_unreportedExpunges);
            ExpungeReported(expunged, writer);
        }

        // Keywords first: no FETCH may show one the client was not told of.
        AnnounceKeywords(changes.Changed.SelectMany(c => c.Keywords), writer);
        var changed = new List<uint>();
        var added = new List<uint>();
        foreach (var state in changes.Changed)
        {
            var i = IndexOf(state.Uid);
            if (i >= 0)
            {
                var known = _messages[i];
                if (known.Flags != state.Flags || !known.Keywords.SequenceEqual(state.Keywords) || (_modes.CondStore && known.ModSeq != state.ModSeq))
                {
                    writer.Raw("* ").Number(i + 1).Raw(" FETCH (UID ").Number(state.Uid).Raw(" FLAGS ").Raw(FormatFlags(state.Uid, state.Flags, state.Keywords));
                    if (_modes.CondStore)
                    {
                        writer.Raw(" MODSEQ (").Number(state.ModSeq).Raw(")");
                    }

                    writer.Raw(")").Crlf();
                    changed.Add(state.Uid);
                }

                _messages[i] = state;
            }
            else if (state.Uid > LargestUid && !_unreportedExpunges.Contains(state.Uid))
            {
                _messages.Add(state);
                added.Add(state.Uid);
            }
        }

        if (added.Count > 0)
        {
            await ClaimRecentAsync(store, added[^1], cancellationToken);
            writer.Raw("* ").Number(_messages.Count).Raw(" EXISTS").Crlf();
            var recent = RecentCount;
            if (!_modes.Rev2 && recent != _reportedRecent)
            {
                writer.Raw("* ").Number(recent).Raw(" RECENT").Crlf();
            }

            _reportedRecent = recent;
        }

        ModSeq = Math.Max(ModSeq, changes.HighestModSeq);
        UidNext = Math.Max(UidNext, changes.UidNext);
        await writer.FlushIfLargeAsync(cancellationToken);
        return new SyncReport(changed, added, expunged);
    }

    /// <summary>New messages up to <paramref name="largest"/> are \Recent here if no read-write session took them first.</summary>
    private async Task ClaimRecentAsync(MailStore store, uint largest, CancellationToken cancellationToken)
    {
        if (ReadOnly)
        {
            // A read-only session shows what nobody has claimed, without claiming it (RFC 3501 §6.3.2).
            return;
        }

        var upTo = largest + 1;
        var from = await store.ClaimRecentAsync(Info, upTo, cancellationToken);
        if (from < upTo)
        {
            _recent.Add((from, upTo));
        }
    }

    private bool AddKeyword(string keyword)
    {
        if (string.Equals(keyword, ImapFlags.Forwarded, StringComparison.OrdinalIgnoreCase) || !_knownKeywords.Add(keyword))
        {
            return false;
        }

        _keywords.Add(keyword);
        return true;
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
