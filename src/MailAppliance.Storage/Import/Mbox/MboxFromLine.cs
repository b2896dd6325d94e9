using System.Globalization;
using System.Text;

namespace MailAppliance.Storage.Import.Mbox;

/// <summary>
/// The separator line of an mbox, <c>From sender date</c>, and its date (the message's INTERNALDATE). The date is
/// ctime's form, <c>Www Mmm dd hh:mm[:ss] yyyy</c>, which has no zone: it is local time, as c-client writes and
/// reads it; UW-IMAP's c-client may add a numeric zone after the year (<c>... 2021 +0100</c>) and older writers a
/// zone name before it (<c>... 10:00:00 PST 2021</c>); a numeric zone is honoured, names other than UT/GMT/UTC
/// are taken as local time. A line that does not carry such a date is not a separator (c-client's rule too), so
/// an unquoted <c>From here</c> inside a body does not split the message.
/// </summary>
public sealed record MboxFromLine(string Sender, DateTimeOffset Date)
{
    private static readonly string[] Weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>Parses a line (without its line end); false when it is not a separator.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, TimeZoneInfo localZone, out MboxFromLine? result)
    {
        result = null;
        if (!line.StartsWith("From "u8) || line.Length > 1000)
        {
            return false;
        }

        var tokens = Encoding.Latin1.GetString(line[5..]).TrimEnd('\r').Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i + 4 < tokens.Length; i++)
        {
            if (Array.IndexOf(Weekdays, tokens[i]) < 0 || Array.IndexOf(Months, tokens[i + 1]) < 0)
            {
                continue;
            }

            if (TryDate(tokens, i, localZone, out var date))
            {
                result = new MboxFromLine(string.Join(' ', tokens[..i]), date);
                return true;
            }
        }

        return false;
    }

    private static bool TryDate(string[] t, int i, TimeZoneInfo localZone, out DateTimeOffset date)
    {
        date = default;
        var month = Array.IndexOf(Months, t[i + 1]) + 1;
        if (!int.TryParse(t[i + 2], NumberStyles.None, CultureInfo.InvariantCulture, out var day) || day is < 1 or > 31)
        {
            return false;
        }

        var clock = t[i + 3].Split(':');
        if (clock.Length is < 2 or > 3 || !clock.All(c => c.Length is 1 or 2 && c.All(char.IsAsciiDigit)))
        {
            return false;
        }

        var (hour, minute, second) = (int.Parse(clock[0], CultureInfo.InvariantCulture), int.Parse(clock[1], CultureInfo.InvariantCulture),
            clock.Length == 3 ? int.Parse(clock[2], CultureInfo.InvariantCulture) : 0);
        var rest = t[(i + 4)..];
        string? zone = null;
        int year;
        if (rest.Length >= 1 && IsYear(rest[0], out year))
        {
            zone = rest.Length >= 2 && IsNumericZone(rest[1]) ? rest[1] : null;
        }
        else if (rest.Length >= 2 && IsYear(rest[1], out year))
        {
            zone = rest[0];
        }
        else
        {
            return false;
        }

        if (hour > 23 || minute > 59 || second > 60 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, Math.Min(second, 59), DateTimeKind.Unspecified);
        if (zone is not null && IsNumericZone(zone))
        {
            var sign = zone[0] == '-' ? -1 : 1;
            var offset = new TimeSpan(int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture), int.Parse(zone.AsSpan(3, 2), CultureInfo.InvariantCulture), 0) * sign;
            date = new DateTimeOffset(local, offset);
            return true;
        }

        if (zone is "UT" or "UTC" or "GMT")
        {
            date = new DateTimeOffset(local, TimeSpan.Zero);
            return true;
        }

        // No zone (or a name, which is ambiguous): local time, as c-client takes it.
        date = new DateTimeOffset(local, localZone.IsInvalidTime(local) ? localZone.BaseUtcOffset : localZone.GetUtcOffset(local));
        return true;
    }

    private static bool IsYear(string token, out int year) =>
        int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out year) && token.Length == 4 && year >= 1970;

    private static bool IsNumericZone(string token) =>
        token.Length == 5 && token[0] is '+' or '-' && token[1..].All(char.IsAsciiDigit);
}
