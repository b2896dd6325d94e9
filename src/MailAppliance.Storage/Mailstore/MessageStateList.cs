using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// A mailbox's message states in UID order, stored column by column: 13 bytes a message (UID, flags, modseq)
/// instead of a 24-byte <see cref="MessageState"/> with its keyword array, and keyword lists only for the few
/// messages that have any. An IMAP session keeps one for its selected mailbox, for as long as it stays selected
/// (idle sessions included), so this is most of a session's memory on a large mailbox.
/// </summary>
public sealed class MessageStateList : IReadOnlyList<MessageState>
{
    private uint[] _uids;
    private byte[] _flags;
    private long[] _modSeqs;
    private Dictionary<uint, string[]>? _keywords;

    public MessageStateList(int capacity = 0)
    {
        _uids = capacity == 0 ? [] : new uint[capacity];
        _flags = capacity == 0 ? [] : new byte[capacity];
        _modSeqs = capacity == 0 ? [] : new long[capacity];
    }

    public int Count { get; private set; }

    public MessageState this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            var uid = _uids[index];
            var keywords = _keywords is not null && _keywords.TryGetValue(uid, out var k) ? k : [];
            return new MessageState(uid, (MaildirFlags)_flags[index], keywords, _modSeqs[index]);
        }

        set
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            if (_uids[index] != value.Uid)
            {
                RemoveKeywords(_uids[index]);
            }

            Store(index, value);
        }
    }

    public void Add(MessageState state)
    {
        if (Count == _uids.Length)
        {
            var capacity = Math.Max(16, _uids.Length * 2);
            Array.Resize(ref _uids, capacity);
            Array.Resize(ref _flags, capacity);
            Array.Resize(ref _modSeqs, capacity);
        }

        Count++;
        Store(Count - 1, state);
    }

    /// <summary>Adds a message without keywords (the common case while a snapshot is read).</summary>
    public void Add(uint uid, MaildirFlags flags, long modSeq) => Add(new MessageState(uid, flags, [], modSeq));

    /// <summary>Sets the keywords of a message already in the list (by UID).</summary>
    public void SetKeywords(uint uid, string[] keywords)
    {
        if (keywords.Length == 0)
        {
            RemoveKeywords(uid);
            return;
        }

        (_keywords ??= [])[uid] = keywords;
    }

    public void RemoveAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        RemoveKeywords(_uids[index]);
        var tail = Count - index - 1;
        Array.Copy(_uids, index + 1, _uids, index, tail);
        Array.Copy(_flags, index + 1, _flags, index, tail);
        Array.Copy(_modSeqs, index + 1, _modSeqs, index, tail);
        Count--;
    }

    /// <summary>A copy that can change independently (sessions get their own from a shared snapshot).</summary>
    public MessageStateList Clone()
    {
        var copy = new MessageStateList(Count) { Count = Count };
        Array.Copy(_uids, copy._uids, Count);
        Array.Copy(_flags, copy._flags, Count);
        Array.Copy(_modSeqs, copy._modSeqs, Count);
        copy._keywords = _keywords is null ? null : new Dictionary<uint, string[]>(_keywords);
        return copy;
    }

    /// <summary>The index of a UID, or -1 (the list is in UID order).</summary>
    public int IndexOfUid(uint uid)
    {
        var index = Array.BinarySearch(_uids, 0, Count, uid);
        return index < 0 ? -1 : index;
    }

    /// <summary>The index of the first message whose UID is at least <paramref name="uid"/> (Count when none is).</summary>
    public int LowerBoundUid(uint uid)
    {
        var index = Array.BinarySearch(_uids, 0, Count, uid);
        return index < 0 ? ~index : index;
    }

    /// <summary>The UID at an index, without building the whole state.</summary>
    public uint UidAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return _uids[index];
    }

    /// <summary>Removes the messages with these UIDs in one pass.</summary>
    public void RemoveUids(IReadOnlySet<uint> uids)
    {
        var kept = 0;
        for (var i = 0; i < Count; i++)
        {
            if (uids.Contains(_uids[i]))
            {
                RemoveKeywords(_uids[i]);
                continue;
            }

            _uids[kept] = _uids[i];
            _flags[kept] = _flags[i];
            _modSeqs[kept] = _modSeqs[i];
            kept++;
        }

        Count = kept;
    }

    /// <summary>Gives back spare capacity left by growing while the list was read.</summary>
    public void TrimExcess()
    {
        if (_uids.Length - Count > Count / 8)
        {
            Array.Resize(ref _uids, Count);
            Array.Resize(ref _flags, Count);
            Array.Resize(ref _modSeqs, Count);
        }
    }

    public IEnumerator<MessageState> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private void Store(int index, MessageState state)
    {
        // MaildirFlags has six bits; a wider value would be a programming error, not data.
        if ((uint)state.Flags > byte.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(state), "flags do not fit the compact list");
        }

        _uids[index] = state.Uid;
        _flags[index] = (byte)state.Flags;
        _modSeqs[index] = state.ModSeq;
        SetKeywords(state.Uid, state.Keywords);
    }

    private void RemoveKeywords(uint uid) => _keywords?.Remove(uid);
}
