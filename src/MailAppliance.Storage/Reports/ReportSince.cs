using System.Globalization;

namespace MailAppliance.Storage.Reports;

/// <summary>
/// <c>--since</c> and <c>?since=</c>: a span back from now (<c>90s</c>, <c>10m</c>, <c>1h</c>, <c>7d</c>) or an RFC 3339
/// time (<c>2026-12-05T12:00:00Z</c>; RFC 3339 §5.6 requires the offset, so a time without one is refused).
/// </summary>
public static class ReportSince
{
    public static bool TryParse(string text, DateTimeOffset now, out DateTimeOffset since)
    {
        since = default;
        text = text.Trim();
        if (text.Length >= 2 && char.IsAsciiDigit(text[0]) && "smhd".Contains(text[^1], StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count <= 3650L * 86400)
        {
            var seconds = text[^1] switch
            {
                's' => count,
                'm' => count * 60,
                'h' => count * 3600,
                _ => count * 86400,
            };
            if (seconds > 3650L * 86400)
            {
                return false;
            }

            since = now - TimeSpan.FromSeconds(seconds);
            return true;
        }

        var hasOffset = text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        return hasOffset && text.Contains('T', StringComparison.OrdinalIgnoreCase)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out since);
    }
}
