using System.Globalization;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Imap.Protocol;

public enum SearchKind
{
    All,
    Flag,
    NotFlag,
    Keyword,
    NotKeyword,
    None,
    Before,
    On,
    Since,
    SentBefore,
    SentOn,
    SentSince,
    Larger,
    Smaller,
    Header,
    Body,
    Text,
    Uid,
    Sequence,
    Not,
    Or,
    And,
    ModSeq,

    /// <summary>RFC 5032 WITHIN: INTERNALDATE at least <see cref="SearchKey.Number"/> seconds ago.</summary>
    Older,

    /// <summary>RFC 5032 WITHIN: INTERNALDATE less than <see cref="SearchKey.Number"/> seconds ago.</summary>
    Younger,

    /// <summary>The messages \Recent in this session (RFC 3501 RECENT; NEW is RECENT UNSEEN, OLD is NOT RECENT).</summary>
    Recent,

    /// <summary>RFC 5182 SEARCHRES: the saved result ("$").</summary>
    Saved,
}

/// <summary>A node of a SEARCH program (RFC 9051 §6.4.4, RFC 7162 MODSEQ).</summary>
public sealed record SearchKey(SearchKind Kind)
{
    public MaildirFlags Flag { get; init; }

    public string Text { get; init; } = "";

    public string Field { get; init; } = "";

    /// <summary>A HEADER key (the raw field), as opposed to FROM/TO/CC/BCC (addresses) and SUBJECT (white space compressed).</summary>
    public bool ViaHeader { get; init; }

    public DateOnly Date { get; init; }

    public long Number { get; init; }

    public SequenceSet? Set { get; init; }

    public IReadOnlyList<SearchKey> Children { get; init; } = [];

    /// <summary>Every BODY and TEXT string in the program (they are looked up in the full-text index first).</summary>
    public IEnumerable<SearchKey> Descendants()
    {
        yield return this;
        foreach (var child in Children)
        {
            foreach (var d in child.Descendants())
            {
                yield return d;
            }
        }
    }
}

/// <summary>
/// RETURN options: RFC 4731 ESEARCH (MIN MAX ALL COUNT), RFC 5182 SEARCHRES (SAVE), RFC 5267 CONTEXT (UPDATE,
/// CONTEXT, PARTIAL low:high).
/// </summary>
public sealed record SearchReturn(bool Min, bool Max, bool All, bool Count, bool Save, bool Update, (uint Low, uint High)? Partial)
{
    public static readonly SearchReturn None = new(false, false, false, false, false, false, null);

    /// <summary>Whether the client asked for nothing but SAVE (RFC 5182 §2.4: then no ESEARCH is sent).</summary>
    public bool SaveOnly => Save && !Min && !Max && !All && !Count && !Update && Partial is null;

    /// <summary>RFC 4731 §3.1: RETURN () means ALL.</summary>
    public bool IsEmpty => !Min && !Max && !All && !Count && !Save && !Update && Partial is null;
}

/// <summary>What a SEARCH command asked for: RETURN options (absent: a plain SEARCH response), charset and the program.</summary>
public sealed record SearchRequest(SearchKey Program, SearchReturn Return, bool Extended, string? Charset);

public static class SearchParser
{
    private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

    /// <summary>Parses SEARCH arguments: <c>[RETURN (...)] [CHARSET x] key...</c>.</summary>
    public static bool TryParse(IReadOnlyList<ImapValue> arguments, out SearchRequest? request, out string error)
    {
        request = null;
        error = "";
        var index = 0;
        var returns = SearchReturn.None;
        var extended = false;
        string? charset = null;
        if (index < arguments.Count && arguments[index] is ImapAtom { } r && r.Is("RETURN"))
        {
            if (index + 1 >= arguments.Count || arguments[index + 1] is not ImapList options || !TryParseReturn(options, out returns, out error))
            {
                error = error.Length > 0 ? error : "RETURN needs a list";
                return false;
            }

            extended = true;
            index += 2;
        }

        if (index < arguments.Count && arguments[index] is ImapAtom c && c.Is("CHARSET"))
        {
            if (index + 1 >= arguments.Count)
            {
                error = "CHARSET needs a name";
                return false;
            }

            charset = arguments[index + 1].AsText();
            index += 2;
        }

        var keys = new List<SearchKey>();
        while (index < arguments.Count)
        {
            if (ParseKey(arguments, ref index, 0, out error) is not { } key)
            {
                return false;
            }

            keys.Add(key);
        }

        if (keys.Count == 0)
        {
            error = "Missing search criteria";
            return false;
        }

        request = new SearchRequest(keys.Count == 1 ? keys[0] : new SearchKey(SearchKind.And) { Children = keys }, returns, extended, charset);
        return true;
    }

    /// <summary>RETURN (...) of SEARCH and SORT.</summary>
    public static bool TryParseReturn(ImapList options, out SearchReturn result, out string error)
    {
        result = SearchReturn.None;
        error = "";
        for (var i = 0; i < options.Items.Count; i++)
        {
            switch (options.Items[i].AsText()?.ToUpperInvariant())
            {
                case "MIN": result = result with { Min = true }; break;
                case "MAX": result = result with { Max = true }; break;
                case "ALL": result = result with { All = true }; break;
                case "COUNT": result = result with { Count = true }; break;
                case "SAVE": result = result with { Save = true }; break;
                case "UPDATE": result = result with { Update = true }; break;
                case "CONTEXT": break; // RFC 5267 §4.2: a hint that the result will be used again; nothing to do
                case "PARTIAL" when i + 1 < options.Items.Count && TryParsePartial(options.Items[i + 1].AsText(), out var low, out var high):
                    // RFC 5267 §4.4: PARTIAL low:high, 1-based positions in the result, either order.
                    result = result with { Partial = (low, high) };
                    i++;
                    break;
                default:
                    error = $"Unknown RETURN option {options.Items[i].AsText()}";
                    return false;
            }
        }

        return true;
    }

    private static bool TryParsePartial(string? text, out uint low, out uint high)
    {
        low = high = 0;
        var parts = text?.Split(':');
        if (parts is not { Length: 2 }
            || !uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var a) || a == 0
            || !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var b) || b == 0)
        {
            return false;
        }

        (low, high) = a <= b ? (a, b) : (b, a);
        return true;
    }

    private static SearchKey? ParseKey(IReadOnlyList<ImapValue> args, ref int index, int depth, out string error)
    {
        error = "";
        if (depth > 32)
        {
            error = "Search program nested too deeply";
            return null;
        }

        var value = args[index++];
        if (value is ImapList list)
        {
            var children = new List<SearchKey>();
            var inner = 0;
            while (inner < list.Items.Count)
            {
                if (ParseKey(list.Items, ref inner, depth + 1, out error) is not { } child)
                {
                    return null;
                }

                children.Add(child);
            }

            if (children.Count == 0)
            {
                error = "Empty search list";
                return null;
            }

            return children.Count == 1 ? children[0] : new SearchKey(SearchKind.And) { Children = children };
        }

        if (value is not ImapAtom atom)
        {
            error = "Expected a search key";
            return null;
        }

        var word = atom.Text.ToUpperInvariant();
        string? Str(ref int i)
        {
            return i < args.Count && args[i] is not ImapList ? args[i++].AsText() : null;
        }

        SearchKey? WithString(SearchKind kind, ref int i, string field = "")
        {
            var text = Str(ref i);
            return text is null ? null : new SearchKey(kind) { Text = text, Field = field };
        }

        SearchKey? WithDate(SearchKind kind, ref int i)
        {
            var text = Str(ref i);
            return text is not null && TryParseDate(text, out var date) ? new SearchKey(kind) { Date = date } : null;
        }

        SearchKey? WithNumber(SearchKind kind, ref int i)
        {
            var text = Str(ref i);
            return text is not null && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? new SearchKey(kind) { Number = n } : null;
        }

        SearchKey? key = word switch
        {
            "ALL" => new SearchKey(SearchKind.All),
            "ANSWERED" => new SearchKey(SearchKind.Flag) { Flag = MaildirFlags.Replied },
            "DELETED" => new SearchKey(SearchKind.Flag) { Flag = MaildirFlags.Trashed },
            "DRAFT" => new SearchKey(SearchKind.Flag) { Flag = MaildirFlags.Draft },
            "FLAGGED" => new SearchKey(SearchKind.Flag) { Flag = MaildirFlags.Flagged },
            "SEEN" => new SearchKey(SearchKind.Flag) { Flag = MaildirFlags.Seen },
            "UNANSWERED" => new SearchKey(SearchKind.NotFlag) { Flag = MaildirFlags.Replied },
            "UNDELETED" => new SearchKey(SearchKind.NotFlag) { Flag = MaildirFlags.Trashed },
            "UNDRAFT" => new SearchKey(SearchKind.NotFlag) { Flag = MaildirFlags.Draft },
            "UNFLAGGED" => new SearchKey(SearchKind.NotFlag) { Flag = MaildirFlags.Flagged },
            "UNSEEN" => new SearchKey(SearchKind.NotFlag) { Flag = MaildirFlags.Seen },
            // RFC 3501 §6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT.
            "RECENT" => new SearchKey(SearchKind.Recent),
            "NEW" => new SearchKey(SearchKind.And) { Children = [new SearchKey(SearchKind.Recent), new SearchKey(SearchKind.NotFlag) { Flag = MaildirFlags.Seen }] },
            "OLD" => new SearchKey(SearchKind.Not) { Children = [new SearchKey(SearchKind.Recent)] },
            "OLDER" => WithNumber(SearchKind.Older, ref index),
            "YOUNGER" => WithNumber(SearchKind.Younger, ref index),
            "KEYWORD" => WithString(SearchKind.Keyword, ref index),
            "UNKEYWORD" => WithString(SearchKind.NotKeyword, ref index),
            "BEFORE" => WithDate(SearchKind.Before, ref index),
            "ON" => WithDate(SearchKind.On, ref index),
            "SINCE" => WithDate(SearchKind.Since, ref index),
            "SENTBEFORE" => WithDate(SearchKind.SentBefore, ref index),
            "SENTON" => WithDate(SearchKind.SentOn, ref index),
            "SENTSINCE" => WithDate(SearchKind.SentSince, ref index),
            "LARGER" => WithNumber(SearchKind.Larger, ref index),
            "SMALLER" => WithNumber(SearchKind.Smaller, ref index),
            "FROM" or "TO" or "CC" or "BCC" or "SUBJECT" => WithString(SearchKind.Header, ref index, word),
            "BODY" => WithString(SearchKind.Body, ref index),
            "TEXT" => WithString(SearchKind.Text, ref index),
            "HEADER" => HeaderKey(args, ref index),
            "UID" => Str(ref index) is { } uids ? (uids == "$" ? new SearchKey(SearchKind.Saved) : SetKey(SearchKind.Uid, uids)) : null,
            "$" => new SearchKey(SearchKind.Saved),
            "NOT" => index < args.Count && ParseKey(args, ref index, depth + 1, out error) is { } negated ? new SearchKey(SearchKind.Not) { Children = [negated] } : null,
            "OR" => OrKey(args, ref index, depth, out error),
            "MODSEQ" => ModSeqKey(args, ref index),
            _ => SetKey(SearchKind.Sequence, atom.Text),
        };
        if (key is null && error.Length == 0)
        {
            error = $"Invalid search key {atom.Text}";
        }

        return key;
    }

    private static SearchKey? HeaderKey(IReadOnlyList<ImapValue> args, ref int index)
    {
        if (index + 1 >= args.Count || args[index].AsText() is not { } field || args[index + 1].AsText() is not { } text)
        {
            return null;
        }

        index += 2;
        return new SearchKey(SearchKind.Header) { Field = field, Text = text, ViaHeader = true };
    }

    private static SearchKey? OrKey(IReadOnlyList<ImapValue> args, ref int index, int depth, out string error)
    {
        error = "";
        if (index >= args.Count || ParseKey(args, ref index, depth + 1, out error) is not { } left
            || index >= args.Count || ParseKey(args, ref index, depth + 1, out error) is not { } right)
        {
            return null;
        }

        return new SearchKey(SearchKind.Or) { Children = [left, right] };
    }

    // RFC 7162 §3.1.5: MODSEQ [entry-name entry-type-req] mod-sequence-valzer.
    private static SearchKey? ModSeqKey(IReadOnlyList<ImapValue> args, ref int index)
    {
        if (index + 2 < args.Count && args[index] is ImapString)
        {
            index += 2;
        }

        if (index >= args.Count || !long.TryParse(args[index].AsText(), NumberStyles.None, CultureInfo.InvariantCulture, out var modseq))
        {
            return null;
        }

        index++;
        return new SearchKey(SearchKind.ModSeq) { Number = modseq };
    }

    private static SearchKey? SetKey(SearchKind kind, string? text) =>
        text is not null && SequenceSet.TryParse(text, out var set) ? new SearchKey(kind) { Set = set } : null;

    /// <summary>RFC 9051 §9 date: <c>1-Feb-2024</c> (day with 1 or 2 digits).</summary>
    public static bool TryParseDate(string text, out DateOnly date)
    {
        date = default;
        var parts = text.Split('-');
        if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var day)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var year))
        {
            return false;
        }

        var month = Array.IndexOf(Months, parts[1].ToUpperInvariant()) + 1;
        if (month == 0 || year < 1 || year > 9999 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        date = new DateOnly(year, month, day);
        return true;
    }

    /// <summary>RFC 9051 §9 date-time: <c>"17-Jul-1996 02:44:25 -0700"</c> (day may be space-padded).</summary>
    public static bool TryParseDateTime(string text, out DateTimeOffset value)
    {
        value = default;
        var trimmed = text.Trim();
        var pieces = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (pieces.Length != 3 || !TryParseDate(pieces[0], out var date))
        {
            return false;
        }

        var time = pieces[1].Split(':');
        var zone = pieces[2];
        if (time.Length != 3 || zone.Length != 5 || zone[0] is not ('+' or '-')
            || !int.TryParse(time[0], NumberStyles.None, CultureInfo.InvariantCulture, out var h) || h > 23
            || !int.TryParse(time[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m > 59
            || !int.TryParse(time[2], NumberStyles.None, CultureInfo.InvariantCulture, out var s) || s > 60
            || !int.TryParse(zone.AsSpan(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var zh)
            || !int.TryParse(zone.AsSpan(3, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var zm))
        {
            return false;
        }

        // A zone beyond ±14:00 (DateTimeOffset's range) or an instant outside years 1-9999 once the zone is applied
        // is refused as syntax, not thrown: "+5000" once reached APPEND as an ArgumentOutOfRangeException.
        var offset = new TimeSpan(zh, zm, 0);
        if (zm > 59 || offset > TimeSpan.FromHours(14))
        {
            return false;
        }

        if (zone[0] == '-')
        {
            offset = -offset;
        }

        var local = new DateTime(date.Year, date.Month, date.Day, h, m, Math.Min(s, 59), DateTimeKind.Unspecified);
        var utcTicks = local.Ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        value = new DateTimeOffset(local, offset);
        return true;
    }

    /// <summary>The IMAP date-time form of an instant (in UTC): <c>"17-Jul-1996 09:44:25 +0000"</c>.</summary>
    public static string FormatDateTime(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return string.Create(CultureInfo.InvariantCulture, $"{utc.Day:00}-{Months[utc.Month - 1][0]}{Months[utc.Month - 1][1..].ToLowerInvariant()}-{utc.Year:0000} {utc.Hour:00}:{utc.Minute:00}:{utc.Second:00} +0000");
    }
}
