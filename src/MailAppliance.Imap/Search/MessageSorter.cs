using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Search;

/// <summary>RFC 5256 §3 sort keys, and RFC 5957 DISPLAYFROM/DISPLAYTO.</summary>
public enum SortKey
{
    Arrival,
    Cc,
    Date,
    From,
    Size,
    Subject,
    To,
    DisplayFrom,
    DisplayTo,
}

/// <summary>One sort criterion: a key, reversed or not.</summary>
public sealed record SortCriterion(SortKey Key, bool Reverse);

/// <summary>A message to sort or thread: its position in the mailbox (0-based) and its sort row.</summary>
public sealed record SortItem(int Index, SortRow Row);

/// <summary>
/// Orders messages by sort criteria (RFC 5256 §3). Strings compare folded with i;unicode-casemap, as Dovecot's
/// I18NLEVEL=1 does; a missing value sorts as the empty string; ties keep the message sequence order (REVERSE
/// reverses a criterion, not the tie-break).
/// </summary>
public static class MessageSorter
{
    /// <summary>Parses <c>(criterion ...)</c> atoms: keys, each optionally preceded by REVERSE.</summary>
    public static List<SortCriterion>? ParseCriteria(IEnumerable<string?> words)
    {
        var criteria = new List<SortCriterion>();
        var reverse = false;
        foreach (var word in words.Select(w => w?.ToUpperInvariant()))
        {
            if (word == "REVERSE")
            {
                if (reverse)
                {
                    return null;
                }

                reverse = true;
                continue;
            }

            SortKey? key = word switch
            {
                "ARRIVAL" => SortKey.Arrival,
                "CC" => SortKey.Cc,
                "DATE" => SortKey.Date,
                "FROM" => SortKey.From,
                "SIZE" => SortKey.Size,
                "SUBJECT" => SortKey.Subject,
                "TO" => SortKey.To,
                "DISPLAYFROM" => SortKey.DisplayFrom,
                "DISPLAYTO" => SortKey.DisplayTo,
                _ => null,
            };
            if (key is null)
            {
                return null;
            }

            criteria.Add(new SortCriterion(key.Value, reverse));
            reverse = false;
        }

        return reverse || criteria.Count == 0 ? null : criteria;
    }

    public static List<SortItem> Sort(IEnumerable<SortItem> items, IReadOnlyList<SortCriterion> criteria)
    {
        var prepared = items.Select(i => (Item: i, Strings: criteria.Select(c => StringKey(i.Row, c.Key)).ToArray())).ToList();
        prepared.Sort((a, b) =>
        {
            for (var k = 0; k < criteria.Count; k++)
            {
                var c = Compare(a.Item.Row, a.Strings[k], b.Item.Row, b.Strings[k], criteria[k].Key);
                if (c != 0)
                {
                    return criteria[k].Reverse ? -c : c;
                }
            }

            return a.Item.Index.CompareTo(b.Item.Index);
        });
        return prepared.Select(p => p.Item).ToList();
    }

    /// <summary>RFC 5256 §3 DATE: the Date header in UTC, else the internal date.</summary>
    public static DateTimeOffset SentDate(SortRow row) => row.Keys.SentDate ?? row.InternalDate;

    private static int Compare(SortRow a, string? sa, SortRow b, string? sb, SortKey key) => key switch
    {
        SortKey.Arrival => a.InternalDate.CompareTo(b.InternalDate),
        SortKey.Date => SentDate(a).UtcDateTime.CompareTo(SentDate(b).UtcDateTime),
        SortKey.Size => a.Size.CompareTo(b.Size),
        _ => string.CompareOrdinal(sa, sb),
    };

    private static string? StringKey(SortRow row, SortKey key) => key switch
    {
        SortKey.Cc => UnicodeCasemap.Fold(row.Keys.CcMailbox),
        SortKey.From => UnicodeCasemap.Fold(row.Keys.FromMailbox),
        SortKey.To => UnicodeCasemap.Fold(row.Keys.ToMailbox),
        SortKey.Subject => UnicodeCasemap.Fold(row.Keys.BaseSubject),
        SortKey.DisplayFrom => UnicodeCasemap.Fold(row.Keys.DisplayFrom),
        SortKey.DisplayTo => UnicodeCasemap.Fold(row.Keys.DisplayTo),
        _ => null,
    };
}
