using System.Net;
using System.Text.RegularExpressions;

namespace MailAppliance.Pipeline.Scoring;

/// <summary>URIs in message text and HTML links, and the host names URIBL looks up.</summary>
public static partial class UriExtractor
{
    // Schemes a reader can follow, and bare www. names that mail clients turn into links.
    [GeneratedRegex(@"(?:(?:https?|ftp)://|www\.)[^\s<>""'()\[\]{}|\\^`]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex UriPattern();

    // Second-level labels under which registrations happen one level deeper (co.uk, com.au, ...): without the public
    // suffix list this keeps URIBL lookups on the registered name for the common cases.
    private static readonly HashSet<string> SecondLevel = new(StringComparer.OrdinalIgnoreCase)
    {
        "co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "mil", "nom", "ltd", "plc", "sch",
    };

    /// <summary>URIs written in plain text, in order, without trailing punctuation.</summary>
    public static IEnumerable<string> FromText(string text, int max = 1000)
    {
        var count = 0;
        Match match;
        try
        {
            match = UriPattern().Match(text);
        }
        catch (RegexMatchTimeoutException)
        {
            yield break;
        }

        while (match.Success && count++ < max)
        {
            yield return match.Value.TrimEnd('.', ',', ';', ':', '!', '?');
            try
            {
                match = match.NextMatch();
            }
            catch (RegexMatchTimeoutException)
            {
                yield break;
            }
        }
    }

    /// <summary>The host of a URI (lower case, no port, no trailing dot), or null when it has none.</summary>
    public static string? Host(string uri)
    {
        var s = uri.AsSpan().Trim();
        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            s = s[(scheme + 3)..];
        }
        else if (!s.StartsWith("www.", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var end = s.IndexOfAny("/?#");
        if (end >= 0)
        {
            s = s[..end];
        }

        var at = s.LastIndexOf('@'); // user:password@host
        if (at >= 0)
        {
            s = s[(at + 1)..];
        }

        if (s.StartsWith("["))
        {
            var close = s.IndexOf(']');
            return close > 0 ? s[1..close].ToString().ToLowerInvariant() : null;
        }

        var colon = s.IndexOf(':');
        if (colon >= 0)
        {
            s = s[..colon];
        }

        s = s.TrimEnd('.');
        if (s.Length == 0 || s.Length > 253)
        {
            return null;
        }

        var host = s.ToString().ToLowerInvariant();
        try
        {
            return host.Any(c => c > 127) ? new System.Globalization.IdnMapping().GetAscii(host) : host;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Whether a host is an IP address written out (dotted, or as one decimal or hex number).</summary>
    public static bool IsAddress(string host) =>
        IPAddress.TryParse(host, out _) && (host.Contains('.') || host.Contains(':') || host.All(char.IsAsciiDigit) || host.StartsWith("0x", StringComparison.OrdinalIgnoreCase));

    /// <summary>The name a domain was registered under: the last two labels, three under co.uk-style names.</summary>
    public static string RegisteredDomain(string host)
    {
        var labels = host.Split('.');
        if (labels.Length <= 2)
        {
            return host;
        }

        var take = labels[^1].Length == 2 && SecondLevel.Contains(labels[^2]) ? 3 : 2;
        return string.Join('.', labels[^take..]);
    }
}
