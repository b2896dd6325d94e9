using System.Globalization;
using System.Text;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>String rules shared by compiler and interpreter: encoded characters, variable names and references.</summary>
public static class SieveStrings
{
    /// <summary>
    /// RFC 5228 §2.4.2.4: <c>${hex:...}</c> and <c>${unicode:...}</c> in strings are replaced by what they encode;
    /// a malformed one is left as written.
    /// </summary>
    public static string DecodeEncodedCharacters(string text)
    {
        var sb = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var start = text.IndexOf("${", i, StringComparison.Ordinal);
            if (start < 0)
            {
                sb.Append(text, i, text.Length - i);
                break;
            }

            sb.Append(text, i, start - i);
            var end = text.IndexOf('}', start);
            var colon = end < 0 ? -1 : text.IndexOf(':', start, end - start);
            if (end < 0 || colon < 0 || !TryDecodeEncoded(text[(start + 2)..colon].Trim(), text[(colon + 1)..end], sb))
            {
                sb.Append("${");
                i = start + 2;
                continue;
            }

            i = end + 1;
        }

        return sb.ToString();
    }

    private static bool TryDecodeEncoded(string kind, string body, StringBuilder output)
    {
        var items = body.Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0 || items.Any(h => !h.All(char.IsAsciiHexDigit)))
        {
            return false;
        }

        if (kind.Equals("hex", StringComparison.OrdinalIgnoreCase))
        {
            var bytes = new List<byte>();
            foreach (var item in items)
            {
                var hex = item.TrimStart('0');
                if (hex.Length > 2)
                {
                    return false;
                }

                bytes.Add(hex.Length == 0 ? (byte)0 : byte.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }

            output.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            return true;
        }

        if (kind.Equals("unicode", StringComparison.OrdinalIgnoreCase))
        {
            var chars = new StringBuilder();
            foreach (var item in items)
            {
                var hex = item.TrimStart('0');
                if (hex.Length > 6 || !int.TryParse(hex.Length == 0 ? "0" : hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var cp)
                    || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                {
                    return false;
                }

                chars.Append(char.ConvertFromUtf32(cp));
            }

            output.Append(chars);
            return true;
        }

        return false;
    }

    /// <summary>RFC 5229 §3: identifier, optionally namespaced with dots; or a match variable number.</summary>
    public static bool IsVariableName(string name, bool allowNumbered)
    {
        if (name.Length == 0)
        {
            return false;
        }

        if (name.All(char.IsAsciiDigit))
        {
            return allowNumbered;
        }

        foreach (var part in name.Split('.'))
        {
            if (part.Length == 0 || !(char.IsAsciiLetter(part[0]) || part[0] == '_') || !part.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// RFC 5229 §3: substitutes <c>${name}</c> and <c>${N}</c>; an unknown variable becomes the empty string; a
    /// reference that is not well formed stays as written. Substitution is not recursive.
    /// </summary>
    public static string Expand(string text, Func<string, string?> lookup)
    {
        var sb = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var start = text.IndexOf("${", i, StringComparison.Ordinal);
            if (start < 0)
            {
                sb.Append(text, i, text.Length - i);
                break;
            }

            sb.Append(text, i, start - i);
            var end = text.IndexOf('}', start + 2);
            var name = end < 0 ? string.Empty : text[(start + 2)..end];
            if (end < 0 || !IsVariableName(name, allowNumbered: true))
            {
                sb.Append("${");
                i = start + 2;
                continue;
            }

            sb.Append(lookup(name) ?? string.Empty);
            i = end + 1;
        }

        return sb.ToString();
    }

    /// <summary>RFC 5229 §4.1 :quotewildcard: backslash before '*', '?' and '\'.</summary>
    public static string QuoteWildcard(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is '*' or '?' or '\\')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>draft-ietf-sieve-regex §3: :quoteregex escapes the regular-expression special characters.</summary>
    public static string QuoteRegex(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if ("\\^$.[]|()?*+{}".Contains(c, StringComparison.Ordinal))
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
