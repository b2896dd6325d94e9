using System.Globalization;

namespace MailAppliance.Mime;

/// <summary>Parses RFC 5322 §3.3 dates, the obsolete forms of §4.3 and common deviations. Never throws.</summary>
public static class DateParser
{
    private static readonly string[] Months = { "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" };

    /// <summary>Parses a Date-like value; null when no date can be recognised.</summary>
    public static DateTimeOffset? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var words = Words(value);
        var w = 0;
        // Optional day-of-week ("Thu," or "Thu").
        if (w < words.Count && words[w].Length >= 3 && char.IsLetter(words[w][0]))
        {
            w++;
        }

        if (w + 3 > words.Count)
        {
            return null;
        }

        int day;
        int month;
        // RFC form "13 Feb 1969"; also tolerate "Feb 13 1969".
        if (int.TryParse(words[w], NumberStyles.None, CultureInfo.InvariantCulture, out day) && (month = MonthOf(words[w + 1])) > 0)
        {
        }
        else if ((month = MonthOf(words[w])) > 0 && int.TryParse(words[w + 1], NumberStyles.None, CultureInfo.InvariantCulture, out day))
        {
        }
        else
        {
            return null;
        }

        if (!int.TryParse(words[w + 2], NumberStyles.None, CultureInfo.InvariantCulture, out var year))
        {
            return null;
        }

        // RFC 5322 §4.3: two-digit years < 50 are 20xx, others 19xx; three-digit years add 1900.
        year = words[w + 2].Length switch
        {
            <= 2 => year < 50 ? 2000 + year : 1900 + year,
            3 => 1900 + year,
            _ => year,
        };
        w += 3;

        int hour = 0, minute = 0, second = 0;
        if (w < words.Count && words[w].Contains(':', StringComparison.Ordinal))
        {
            var hms = words[w].Split(':');
            if (!int.TryParse(hms[0], NumberStyles.None, CultureInfo.InvariantCulture, out hour)
                || hms.Length < 2 || !int.TryParse(hms[1], NumberStyles.None, CultureInfo.InvariantCulture, out minute)
                || (hms.Length > 2 && !int.TryParse(hms[2], NumberStyles.None, CultureInfo.InvariantCulture, out second)))
            {
                return null;
            }

            w++;
        }

        var offset = TimeSpan.Zero;
        if (w < words.Count)
        {
            offset = Zone(words[w]);
        }

        if (month < 1 || day < 1 || day > DateTime.DaysInMonth(Math.Clamp(year, 1, 9999), month) || hour > 23 || minute > 59 || second > 60
            || year < 1 || year > 9998)
        {
            return null;
        }

        var seconds = Math.Min(second, 59); // RFC 5322 §3.3 allows a leap second; .NET does not.
        var local = new DateTime(year, month, day, hour, minute, seconds, DateTimeKind.Unspecified);

        // 1 Jan 0001 00:00 +0100 is an instant before year 1: no date rather than an exception.
        var utcTicks = local.Ticks - offset.Ticks;
        return utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks ? null : new DateTimeOffset(local, offset);
    }

    private static TimeSpan Zone(string zone)
    {
        if (zone.Length == 5 && (zone[0] == '+' || zone[0] == '-')
            && int.TryParse(zone.AsSpan(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            && int.TryParse(zone.AsSpan(3, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            && h < 24 && m < 60 && (h < 14 || (h == 14 && m == 0)))
        {
            var span = new TimeSpan(h, m, 0);
            return zone[0] == '-' ? -span : span;
        }

        // A numeric zone beyond ±14:00 cannot be represented (and is no real zone): it is unknown, like -0000.
        // RFC 5322 §4.3 obs-zone; military letters are treated as -0000 (unknown) as the RFC advises.
        return zone.ToUpperInvariant() switch
        {
            "EDT" => TimeSpan.FromHours(-4),
            "EST" or "CDT" => TimeSpan.FromHours(-5),
            "CST" or "MDT" => TimeSpan.FromHours(-6),
            "MST" or "PDT" => TimeSpan.FromHours(-7),
            "PST" => TimeSpan.FromHours(-8),
            _ => TimeSpan.Zero,
        };
    }

    private static int MonthOf(string word)
    {
        if (word.Length < 3)
        {
            return 0;
        }

        var prefix = word[..3].ToLowerInvariant();
        return Array.IndexOf(Months, prefix) + 1;
    }

    /// <summary>Splits on whitespace and commas, dropping comments; "+0200" style zones stay whole.</summary>
    private static List<string> Words(string value)
    {
        var words = new List<string>();
        var t = new HeaderTokenizer(value);
        while (!t.AtEnd)
        {
            t.SkipCfws();
            if (t.AtEnd)
            {
                break;
            }

            var start = t.Position;
            var rest = t.Rest;
            var len = 0;
            while (len < rest.Length && rest[len] is not (' ' or '\t' or '\r' or '\n' or ',' or '(' ))
            {
                len++;
            }

            if (len == 0)
            {
                t.Position = start + 1;
                continue;
            }

            words.Add(rest[..len].ToString());
            t.Position = start + len;
        }

        // "12:00:00+0200" → time and zone.
        for (var i = 0; i < words.Count; i++)
        {
            var s = words[i];
            var p = s.IndexOfAny(['+', '-'], 1);
            if (s.Contains(':', StringComparison.Ordinal) && p > 0)
            {
                words[i] = s[..p];
                words.Insert(i + 1, s[p..]);
            }
        }

        return words;
    }
}
