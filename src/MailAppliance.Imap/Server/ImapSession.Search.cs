using System.Globalization;
using MailAppliance.Imap.Protocol;
using MailAppliance.Mime;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>
/// SEARCH (RFC 9051 §6.4.4) with ESEARCH (RFC 4731) and MODSEQ (RFC 7162). BODY and TEXT are looked up in the
/// store's PostgreSQL full-text index (word-prefix matching on decoded text, whatever the charsets); flags, UIDs
/// and numbers come from the session's view; dates and sizes from the index rows; header keys from the message's
/// parsed header.
/// </summary>
public sealed partial class ImapSession
{
    private async Task SearchAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        if (!SearchParser.TryParse(command.Arguments, out var request, out var error))
        {
            await BadAsync(command.Tag, error);
            return;
        }

        if (request!.Charset is { } charset && !charset.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("US-ASCII", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 9051 §6.4.4: an unsupported charset is refused with the list of those we take.
            await NoAsync(command.Tag, "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
            return;
        }

        if (request.ReturnOptions.Contains("SAVE"))
        {
            await BadAsync(command.Tag, "SEARCHRES is not supported");
            return;
        }

        var mailbox = selected.Mailbox;
        var keys = request.Program.Descendants().ToList();
        var fullText = new Dictionary<SearchKey, HashSet<uint>>(ReferenceEqualityComparer.Instance);
        foreach (var key in keys.Where(k => k.Kind is SearchKind.Body or SearchKind.Text))
        {
            fullText[key] = await _services.Store.SearchTextAsync(mailbox.Info, key.Text, cancellationToken);
        }

        if (keys.Any(k => k.Kind == SearchKind.ModSeq))
        {
            _condStore = true;
        }

        var needsRow = keys.Any(k => k.Kind is SearchKind.Before or SearchKind.On or SearchKind.Since or SearchKind.Larger or SearchKind.Smaller);
        var needsHeader = keys.Any(k => k.Kind is SearchKind.Header or SearchKind.Text or SearchKind.SentBefore or SearchKind.SentOn or SearchKind.SentSince);
        var matches = new List<int>();
        var count = mailbox.Count;
        for (var start = 0; start < count; start += _options.FetchBatchSize)
        {
            var end = Math.Min(count, start + _options.FetchBatchSize);
            Dictionary<uint, MessageRecord>? records = null;
            if (needsRow || needsHeader)
            {
                var uids = Enumerable.Range(start, end - start).Select(i => mailbox.Messages[i].Uid).ToList();
                records = (await _services.Store.FetchRecordsAsync(mailbox.Info, uids, needsHeader ? MessageViews.Structure : MessageViews.None, cancellationToken))
                    .ToDictionary(r => r.Info.Uid);
            }

            for (var i = start; i < end; i++)
            {
                var state = mailbox.Messages[i];
                MessageRecord? record = null;
                if (records is not null && !records.TryGetValue(state.Uid, out record))
                {
                    continue;
                }

                var context = new SearchContext(this, mailbox, i, state, record, fullText);
                if (Matches(request.Program, context))
                {
                    matches.Add(i);
                }
            }
        }

        WriteSearchResult(command, request, mailbox, matches, keys.Any(k => k.Kind == SearchKind.ModSeq));
        await OkAsync(command, "SEARCH completed", allowExpunge: command.IsUid);
    }

    private void WriteSearchResult(ImapCommand command, SearchRequest request, SelectedMailbox mailbox, List<int> matches, bool withModSeq)
    {
        var numbers = matches.Select(i => command.IsUid ? mailbox.Messages[i].Uid : (uint)(i + 1)).ToList();
        var highest = matches.Count > 0 ? matches.Max(i => mailbox.Messages[i].ModSeq) : 0;
        if (!request.Extended && !_rev2)
        {
            _out.Raw("* SEARCH");
            foreach (var n in numbers)
            {
                _out.Space().Number(n);
            }

            if (withModSeq && numbers.Count > 0)
            {
                _out.Raw(" (MODSEQ ").Number(highest).Raw(")");
            }

            _out.Crlf();
            return;
        }

        // RFC 4731 §3.1: an empty RETURN list means ALL.
        var options = request.ReturnOptions.Count == 0 ? ["ALL"] : request.ReturnOptions;
        _out.Raw("* ESEARCH (TAG ").String(command.Tag).Raw(")");
        if (command.IsUid)
        {
            _out.Raw(" UID");
        }

        if (numbers.Count > 0 && options.Contains("MIN"))
        {
            _out.Raw(" MIN ").Number(numbers[0]);
        }

        if (numbers.Count > 0 && options.Contains("MAX"))
        {
            _out.Raw(" MAX ").Number(numbers[^1]);
        }

        if (options.Contains("COUNT"))
        {
            _out.Raw(" COUNT ").Number(numbers.Count);
        }

        if (numbers.Count > 0 && options.Contains("ALL"))
        {
            _out.Raw(" ALL ").Raw(SequenceSet.Format(numbers));
        }

        if (withModSeq && numbers.Count > 0)
        {
            _out.Raw(" MODSEQ ").Number(highest);
        }

        _out.Crlf();
    }

    private sealed class SearchContext(ImapSession session, SelectedMailbox mailbox, int index, MessageState state, MessageRecord? record, Dictionary<SearchKey, HashSet<uint>> fullText)
    {
        private MessagePart? _header;
        private bool _headerRead;

        public SelectedMailbox Mailbox => mailbox;

        public int Index => index;

        public MessageState State => state;

        public MessageRecord? Record => record;

        public bool InFullText(SearchKey key) => fullText.TryGetValue(key, out var set) && set.Contains(state.Uid);

        /// <summary>The message's top-level header, parsed from the file once (the cached structure keeps offsets, not values).</summary>
        public MessagePart? Header
        {
            get
            {
                if (!_headerRead && record is not null)
                {
                    _headerRead = true;
                    _header = session.ReadHeader(mailbox, record);
                }

                return _header;
            }
        }
    }

    private MessagePart? ReadHeader(SelectedMailbox mailbox, MessageRecord record)
    {
        using var file = _services.Store.OpenMessage(mailbox.Info, record.Info);
        if (file is null)
        {
            return null;
        }

        var length = file.Length;
        if (record.Structure is { } bytes && MessageStructure.TryDeserialize(bytes, out var structure) && structure is not null)
        {
            length = Math.Min(length, structure.Root.HeaderOffset + structure.Root.HeaderLength);
        }

        // Headers are bounded (the parser's limits apply); a header-only parse is enough for header keys.
        var buffer = new byte[Math.Min(length, 1024 * 1024)];
        file.ReadExactly(buffer);
        return MimeParser.Parse(buffer).Root;
    }

    private static bool Matches(SearchKey key, SearchContext context)
    {
        var state = context.State;
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
            case SearchKind.Sequence:
                return key.Set!.Contains((uint)(context.Index + 1), (uint)context.Mailbox.Count);
            case SearchKind.Uid:
                return key.Set!.Contains(state.Uid, context.Mailbox.LargestUid);
            case SearchKind.ModSeq:
                return state.ModSeq >= key.Number;
            case SearchKind.Larger:
                return context.Record!.Info.CrlfSize > key.Number;
            case SearchKind.Smaller:
                return context.Record!.Info.CrlfSize < key.Number;
            case SearchKind.Before:
            case SearchKind.On:
            case SearchKind.Since:
                return CompareDate(key.Kind, DateOnly.FromDateTime(context.Record!.Info.InternalDate.UtcDateTime), key.Date);
            case SearchKind.SentBefore:
            case SearchKind.SentOn:
            case SearchKind.SentSince:
                // RFC 9051 §6.4.4: the Date: header, ignoring time and zone (its own calendar date).
                var sent = DateParser.Parse(context.Header?.GetDecodedValue("Date"));
                var day = sent is { } s ? DateOnly.FromDateTime(s.DateTime) : DateOnly.FromDateTime(context.Record!.Info.InternalDate.UtcDateTime);
                return CompareDate(key.Kind switch { SearchKind.SentBefore => SearchKind.Before, SearchKind.SentOn => SearchKind.On, _ => SearchKind.Since }, day, key.Date);
            case SearchKind.Header:
                return HeaderContains(context.Header, key.Field, key.Text);
            case SearchKind.Body:
                return context.InFullText(key);
            case SearchKind.Text:
                return context.InFullText(key) || (context.Header is { } header && header.Headers.Any(h => Contains(h.DecodedValue, key.Text)));
            case SearchKind.Not:
                return !Matches(key.Children[0], context);
            case SearchKind.Or:
                return Matches(key.Children[0], context) || Matches(key.Children[1], context);
            case SearchKind.And:
                return key.Children.All(c => Matches(c, context));
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

    private static bool HeaderContains(MessagePart? header, string field, string text)
    {
        if (header is null)
        {
            return false;
        }

        // RFC 9051 §6.4.4: HEADER with an empty string matches every message that has the field.
        return header.GetHeaders(field).Any(h => text.Length == 0 || Contains(h.DecodedValue, text) || Contains(System.Text.Encoding.UTF8.GetString(h.RawValue), text));
    }

    private static bool Contains(string? value, string text) =>
        value is not null && CultureInfo.InvariantCulture.CompareInfo.IndexOf(value, text, CompareOptions.IgnoreCase | CompareOptions.IgnoreNonSpace) >= 0;
}
