using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>
/// Comparators (RFC 4790: i;octet, i;ascii-casemap, i;ascii-numeric) and match types (RFC 5228 §2.7.1, RFC 5231
/// relational, draft-ietf-sieve-regex). One instance per run: it caches the patterns it compiles and records the
/// match variables of the last successful :matches or :regex (RFC 5229 §3.2).
/// </summary>
internal sealed class SieveMatcher
{
    private readonly Dictionary<string, Regex> _patterns = new(StringComparer.Ordinal);
    private readonly TimeSpan _timeout;

    public SieveMatcher(TimeSpan regexTimeout) => _timeout = regexTimeout;

    /// <summary>Captured strings of the last successful wildcard or regex match: ${0} is the whole value.</summary>
    public List<string> MatchValues { get; } = [];

    /// <summary>True when any value matches any key (RFC 5228 §2.7.1: "any of the keys").</summary>
    public bool Match(SieveMatchSpec spec, IReadOnlyList<string> values, IReadOnlyList<string> keys)
    {
        if (spec.Type == SieveMatchType.Count)
        {
            // RFC 5231 §4.2: the number of values, compared as a decimal string against each key.
            var count = values.Count.ToString(CultureInfo.InvariantCulture);
            return keys.Any(k => Relate(spec.Relation!, Compare(spec.Comparator, count, k)));
        }

        foreach (var value in values)
        {
            foreach (var key in keys)
            {
                if (MatchOne(spec, value, key))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private bool MatchOne(SieveMatchSpec spec, string value, string key)
    {
        switch (spec.Type)
        {
            case SieveMatchType.Is:
                return Equal(spec.Comparator, value, key);
            case SieveMatchType.Contains:
                return spec.Comparator == "i;octet"
                    ? value.Contains(key, StringComparison.Ordinal)
                    : FoldAscii(value).Contains(FoldAscii(key), StringComparison.Ordinal);
            case SieveMatchType.Value:
                return Relate(spec.Relation!, Compare(spec.Comparator, value, key));
            case SieveMatchType.Matches:
                return Wildcard(spec.Comparator, value, key);
            case SieveMatchType.Regex:
                return RegexMatch(spec.Comparator, value, key);
            default:
                return false;
        }
    }

    private static bool Equal(string comparator, string a, string b) => comparator switch
    {
        "i;octet" => string.Equals(a, b, StringComparison.Ordinal),
        "i;ascii-numeric" => Compare(comparator, a, b) == 0,
        _ => string.Equals(FoldAscii(a), FoldAscii(b), StringComparison.Ordinal),
    };

    private static bool Relate(string relation, int order) => relation switch
    {
        "gt" => order > 0,
        "ge" => order >= 0,
        "lt" => order < 0,
        "le" => order <= 0,
        "eq" => order == 0,
        _ => order != 0,
    };

    /// <summary>Ordering under a comparator (RFC 4790 §9).</summary>
    public static int Compare(string comparator, string a, string b)
    {
        switch (comparator)
        {
            case "i;octet":
                return CompareOctets(a, b);
            case "i;ascii-numeric":
                // RFC 4790 §9.1.1: the leading digits are the number; a string without one is positive infinity.
                var na = LeadingNumber(a);
                var nb = LeadingNumber(b);
                if (na is null || nb is null)
                {
                    return na is null ? (nb is null ? 0 : 1) : -1;
                }

                return na.Length != nb.Length ? na.Length.CompareTo(nb.Length) : string.CompareOrdinal(na, nb);
            default:
                return CompareOctets(FoldAscii(a, upper: true), FoldAscii(b, upper: true));
        }
    }

    private static int CompareOctets(string a, string b)
    {
        // Order by UTF-8 octets, which for strings is the order of code points (not of UTF-16 units).
        var sa = Encoding.UTF8.GetBytes(a);
        var sb = Encoding.UTF8.GetBytes(b);
        return sa.AsSpan().SequenceCompareTo(sb);
    }

    private static string? LeadingNumber(string s)
    {
        var end = 0;
        while (end < s.Length && char.IsAsciiDigit(s[end]))
        {
            end++;
        }

        return end == 0 ? null : s[..end].TrimStart('0') is { Length: > 0 } n ? n : "0";
    }

    /// <summary>i;ascii-casemap folds only ASCII letters, so indexes stay valid in the original string.</summary>
    public static string FoldAscii(string s, bool upper = false)
    {
        var needs = false;
        foreach (var c in s)
        {
            if (upper ? char.IsAsciiLetterLower(c) : char.IsAsciiLetterUpper(c))
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return s;
        }

        return string.Create(s.Length, (s, upper), static (span, state) =>
        {
            for (var i = 0; i < state.s.Length; i++)
            {
                var c = state.s[i];
                span[i] = state.upper ? (char.IsAsciiLetterLower(c) ? (char)(c - 32) : c) : (char.IsAsciiLetterUpper(c) ? (char)(c + 32) : c);
            }
        });
    }

    private bool Wildcard(string comparator, string value, string pattern)
    {
        var fold = comparator != "i;octet";
        var regex = Pattern("m" + (fold ? FoldAscii(pattern) : pattern), () => GlobToRegex(fold ? FoldAscii(pattern) : pattern), RegexOptions.Singleline);
        var subject = fold ? FoldAscii(value) : value;
        var m = RunRegex(regex, subject);
        if (!m.Success)
        {
            return false;
        }

        // RFC 5229 §3.2: ${0} is the whole value, ${1}... what each wildcard matched, from the original string.
        MatchValues.Clear();
        MatchValues.Add(value);
        for (var g = 1; g < m.Groups.Count; g++)
        {
            MatchValues.Add(value.Substring(m.Groups[g].Index, m.Groups[g].Length));
        }

        return true;
    }

    private bool RegexMatch(string comparator, string value, string pattern)
    {
        var options = comparator == "i;octet" ? RegexOptions.None : RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;
        var regex = Pattern((options == RegexOptions.None ? "r" : "R") + pattern, () => pattern, options);
        var m = RunRegex(regex, value);
        if (!m.Success)
        {
            return false;
        }

        MatchValues.Clear();
        for (var g = 0; g < m.Groups.Count && g < 10; g++)
        {
            MatchValues.Add(m.Groups[g].Success ? m.Groups[g].Value : string.Empty);
        }

        return true;
    }

    private Match RunRegex(Regex regex, string subject)
    {
        try
        {
            return regex.Match(subject);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new SieveRuntimeException($"regular expression match took longer than {_timeout.TotalMilliseconds:0} ms");
        }
    }

    private Regex Pattern(string key, Func<string> source, RegexOptions options)
    {
        if (_patterns.TryGetValue(key, out var regex))
        {
            return regex;
        }

        try
        {
            regex = new Regex(source(), options | RegexOptions.CultureInvariant, _timeout);
        }
        catch (ArgumentException e)
        {
            throw new SieveRuntimeException($"invalid regular expression: {e.Message}");
        }

        if (_patterns.Count < 256)
        {
            _patterns[key] = regex;
        }

        return regex;
    }

    /// <summary>RFC 5228 §2.7.1: "*" any sequence, "?" one character, "\" quotes the next character.</summary>
    internal static string GlobToRegex(string pattern)
    {
        var sb = new StringBuilder("\\A");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                sb.Append(Regex.Escape(pattern[++i].ToString()));
            }
            else if (c == '*')
            {
                // Pigeonhole expands each wildcard as little as it can (the last one then takes the rest).
                sb.Append("(.*?)");
            }
            else if (c == '?')
            {
                sb.Append("(.)");
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }

        return sb.Append("\\z").ToString();
    }
}

/// <summary>A failure while running a script (limit exceeded, conflicting actions): the run falls back to keep.</summary>
public sealed class SieveRuntimeException : Exception
{
    public SieveRuntimeException(string message)
        : base(message)
    {
    }

    public SieveRuntimeException()
    {
    }

    public SieveRuntimeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SievePosition Position { get; init; }
}
