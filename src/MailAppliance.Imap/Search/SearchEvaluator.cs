using MailAppliance.Imap.Protocol;
using MailAppliance.Imap.Server;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Search;

/// <summary>
/// Runs a SEARCH program (RFC 9051 §6.4.4) over a selected mailbox. Flags, keywords, modseqs, sequence numbers and
/// \Recent come from the session's view; dates and sizes from the index rows (with the sent date from the sort
/// keys); every text key is asked of the trigram index once (<see cref="MailStore.SearchTextAsync"/>), and the
/// few messages it cannot answer for are read from their files.
/// </summary>
public sealed class SearchEvaluator
{
    private readonly MailStore _store;
    private readonly SelectedMailbox _mailbox;
    private readonly TimeProvider _time;
    private readonly IReadOnlyCollection<uint> _saved;
    private readonly Dictionary<SearchKey, TextSearch> _textKeys = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<SearchKey, HashSet<uint>> _textMatches = new(ReferenceEqualityComparer.Instance);

    public SearchEvaluator(MailStore store, SelectedMailbox mailbox, TimeProvider time, IReadOnlyCollection<uint>? saved)
    {
        _store = store;
        _mailbox = mailbox;
        _time = time;
        _saved = saved ?? [];
    }

    /// <summary>The indexes (0-based, ascending) of the messages that match, among <paramref name="subset"/> (all when null).</summary>
    public async Task<List<int>> EvaluateAsync(SearchKey program, IReadOnlyList<int>? subset, int batchSize, CancellationToken cancellationToken)
    {
        var keys = program.Descendants().ToList();
        var indexes = subset ?? Enumerable.Range(0, _mailbox.Count).ToList();
        if (indexes.Count == 0)
        {
            return [];
        }

        await LookUpTextAsync(keys, indexes, cancellationToken);
        var needsRow = keys.Any(k => k.Kind is SearchKind.Before or SearchKind.On or SearchKind.Since or SearchKind.SentBefore or SearchKind.SentOn
            or SearchKind.SentSince or SearchKind.Larger or SearchKind.Smaller or SearchKind.Older or SearchKind.Younger);
        var saved = keys.Any(k => k.Kind == SearchKind.Saved) ? _saved.ToHashSet() : [];
        var now = _time.GetUtcNow();
        var matches = new List<int>();
        foreach (var batch in indexes.Chunk(batchSize))
        {
            Dictionary<uint, SortRow>? rows = null;
            if (needsRow)
            {
                rows = await _store.LoadSortRowsAsync(_mailbox.Info, batch.Select(i => _mailbox.Messages[i].Uid).ToList(), cancellationToken);
            }

            foreach (var index in batch)
            {
                var state = _mailbox.Messages[index];
                SortRow? row = null;
                if (rows is not null && !rows.TryGetValue(state.Uid, out row))
                {
                    continue; // expunged meanwhile
                }

                if (Matches(program, new Message(index, state, row, saved, now)))
                {
                    matches.Add(index);
                }
            }
        }

        return matches;
    }

    private readonly record struct Message(int Index, MessageState State, SortRow? Row, HashSet<uint> Saved, DateTimeOffset Now);

    /// <summary>Each text key once in the index; then the messages it was unsure of, from their files.</summary>
    private async Task LookUpTextAsync(List<SearchKey> keys, IReadOnlyList<int> indexes, CancellationToken cancellationToken)
    {
        var unsure = new HashSet<uint>();
        foreach (var key in keys)
        {
            if (ToTextSearch(key) is not { } search)
            {
                continue;
            }

            _textKeys[key] = search;
            var found = await _store.SearchTextAsync(_mailbox.Info, search, cancellationToken);
            _textMatches[key] = found.Matched.ToHashSet();
            unsure.UnionWith(found.Unsure);
        }

        if (unsure.Count == 0)
        {
            return;
        }

        var wanted = indexes.Select(i => _mailbox.Messages[i].Uid).Where(unsure.Contains).ToList();
        var confirmed = await _store.ConfirmTextAsync(_mailbox.Info, wanted, _textKeys.Values.ToList(), cancellationToken);
        foreach (var (key, search) in _textKeys)
        {
            _textMatches[key].UnionWith(confirmed[search]);
        }
    }

    private static TextSearch? ToTextSearch(SearchKey key) => key.Kind switch
    {
        SearchKind.Body => new TextSearch(TextSearchKind.Body, "", key.Text),
        SearchKind.Text => new TextSearch(TextSearchKind.Text, "", key.Text),
        SearchKind.Header when key.ViaHeader => new TextSearch(TextSearchKind.Header, key.Field, key.Text),
        SearchKind.Header when key.Field == "SUBJECT" => new TextSearch(TextSearchKind.Subject, "SUBJECT", key.Text),
        SearchKind.Header => new TextSearch(TextSearchKind.Address, key.Field, key.Text),
        _ => null,
    };

    private bool Matches(SearchKey key, Message message)
    {
        var state = message.State;
        switch (key.Kind)
        {
            case SearchKind.All:
                return true;
            case SearchKind.None:
                return false;
            case SearchKind.Flag:
                return (state.Flags & key.Flag) != 0;
            case SearchKind.NotFlag:
                return (state.Flags & key.Flag) == 0;
            case SearchKind.Keyword:
                return HasKeyword(state, key.Text);
            case SearchKind.NotKeyword:
                return !HasKeyword(state, key.Text);
            case SearchKind.Recent:
                return _mailbox.IsRecent(state.Uid);
            case SearchKind.Sequence:
                return key.Set!.Contains((uint)(message.Index + 1), (uint)_mailbox.Count);
            case SearchKind.Uid:
                return key.Set!.Contains(state.Uid, _mailbox.LargestUid);
            case SearchKind.Saved:
                return message.Saved.Contains(state.Uid);
            case SearchKind.ModSeq:
                return state.ModSeq >= key.Number;
            case SearchKind.Larger:
                return message.Row!.Size > key.Number;
            case SearchKind.Smaller:
                return message.Row!.Size < key.Number;
            case SearchKind.Before:
            case SearchKind.On:
            case SearchKind.Since:
                return CompareDate(key.Kind, DateOnly.FromDateTime(message.Row!.InternalDate.UtcDateTime), key.Date);
            case SearchKind.SentBefore:
            case SearchKind.SentOn:
            case SearchKind.SentSince:
                // RFC 9051 §6.4.4: the Date: header, ignoring time and zone (its own calendar date).
                var sent = message.Row!.Keys.SentDate;
                var day = sent is { } s ? DateOnly.FromDateTime(s.DateTime) : DateOnly.FromDateTime(message.Row.InternalDate.UtcDateTime);
                return CompareDate(key.Kind switch { SearchKind.SentBefore => SearchKind.Before, SearchKind.SentOn => SearchKind.On, _ => SearchKind.Since }, day, key.Date);
            case SearchKind.Older:
                // RFC 5032 §3: OLDER n: at least n seconds old; YOUNGER n: less than n seconds old.
                return (message.Now - message.Row!.InternalDate).TotalSeconds >= key.Number;
            case SearchKind.Younger:
                return (message.Now - message.Row!.InternalDate).TotalSeconds < key.Number;
            case SearchKind.Header:
            case SearchKind.Body:
            case SearchKind.Text:
                return _textMatches.TryGetValue(key, out var set) && set.Contains(state.Uid);
            case SearchKind.Not:
                return !Matches(key.Children[0], message);
            case SearchKind.Or:
                return Matches(key.Children[0], message) || Matches(key.Children[1], message);
            case SearchKind.And:
                foreach (var child in key.Children)
                {
                    if (!Matches(child, message))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return false;
        }
    }

    private static bool HasKeyword(MessageState state, string keyword) =>
        state.Keywords.Contains(keyword, StringComparer.OrdinalIgnoreCase)
        || (string.Equals(keyword, ImapFlags.Forwarded, StringComparison.OrdinalIgnoreCase) && (state.Flags & MaildirFlags.Passed) != 0);

    private static bool CompareDate(SearchKind kind, DateOnly value, DateOnly key) => kind switch
    {
        SearchKind.Before => value < key,
        SearchKind.On => value == key,
        _ => value >= key,
    };
}
