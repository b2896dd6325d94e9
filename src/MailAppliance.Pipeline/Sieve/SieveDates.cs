using System.Globalization;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>Date parts and zones of the date extension (RFC 5260 §4.2, §4.1).</summary>
public static class SieveDates
{
    private static readonly HashSet<string> Parts = new(StringComparer.OrdinalIgnoreCase)
    {
        "year", "month", "day", "date", "julian", "hour", "minute", "second", "time", "iso8601", "std11", "zone", "weekday",
    };

    public static bool IsDatePart(string part) => Parts.Contains(part);

    /// <summary>RFC 5260 §4.1: a zone is "+hhmm" or "-hhmm".</summary>
    public static bool TryParseZone(string text, out TimeSpan offset)
    {
        offset = default;
        if (text.Length != 5 || text[0] is not ('+' or '-') || text.AsSpan(1).ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        var hours = int.Parse(text.AsSpan(1, 2), CultureInfo.InvariantCulture);
        var minutes = int.Parse(text.AsSpan(3, 2), CultureInfo.InvariantCulture);
        if (hours > 23 || minutes > 59)
        {
            return false;
        }

        offset = new TimeSpan(hours, minutes, 0);
        if (text[0] == '-')
        {
            offset = -offset;
        }

        return true;
    }

    public static string FormatZone(TimeSpan offset)
    {
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{offset.Hours:00}{offset.Minutes:00}");
    }

    /// <summary>The text of one date part (RFC 5260 §4.2), or null for an unknown part.</summary>
    public static string? Part(DateTimeOffset d, string part)
    {
        var c = CultureInfo.InvariantCulture;
        return part.ToLowerInvariant() switch
        {
            "year" => d.Year.ToString("0000", c),
            "month" => d.Month.ToString("00", c),
            "day" => d.Day.ToString("00", c),
            "date" => d.ToString("yyyy-MM-dd", c),
            // Modified Julian Day: days since 1858-11-17.
            "julian" => ((long)Math.Floor((d.DateTime.Date - new DateTime(1858, 11, 17)).TotalDays)).ToString(c),
            "hour" => d.Hour.ToString("00", c),
            "minute" => d.Minute.ToString("00", c),
            "second" => d.Second.ToString("00", c),
            "time" => d.ToString("HH:mm:ss", c),
            "iso8601" => d.ToString("yyyy-MM-dd'T'HH:mm:ss", c) + (d.Offset == TimeSpan.Zero ? "Z" : d.ToString("zzz", c)),
            "std11" => Mime.Builder.MessageBuilder.FormatDate(d),
            "zone" => FormatZone(d.Offset),
            "weekday" => ((int)d.DayOfWeek).ToString(c),
            _ => null,
        };
    }
}
