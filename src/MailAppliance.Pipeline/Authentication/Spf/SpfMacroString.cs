using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailAppliance.Pipeline.Dns;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>The values macros expand to (RFC 7208 §7.2). <see cref="ValidatedName"/> is looked up only when a macro needs it.</summary>
internal sealed record SpfMacroContext(
    string Sender, string LocalPart, string SenderDomain, string Domain, IPAddress Ip, string Helo, string ReceivingHost, DateTimeOffset Now)
{
    public string ValidatedName { get; init; } = "unknown";
}

/// <summary>
/// A macro-string or explain-string (RFC 7208 §7.1), parsed once (sans-I/O) and expanded per check (§7.3).
/// </summary>
internal sealed class SpfMacroString
{
    private const string Delimiters = ".-+,/_=";

    private readonly List<Token> _tokens;

    private SpfMacroString(string text, List<Token> tokens, bool endsWithExpand)
    {
        Text = text;
        _tokens = tokens;
        EndsWithExpand = endsWithExpand;
    }

    /// <summary>The last thing in the string is a macro-expand (<c>%{..}</c>, <c>%%</c>, <c>%_</c> or <c>%-</c>).</summary>
    private bool EndsWithExpand { get; }

    public string Text { get; }

    /// <summary>Whether the string uses <c>%{p}</c>, whose value costs DNS lookups (§7.3).</summary>
    public bool UsesValidatedName => _tokens.Any(t => t.Kind == TokenKind.Macro && t.Letter == 'p');

    /// <summary>
    /// Parses <paramref name="text"/>. In an explanation (<paramref name="explanation"/>) spaces and the letters c, r
    /// and t are allowed (§7.1: "allowed only in exp text").
    /// </summary>
    public static bool TryParse(string text, bool explanation, out SpfMacroString macro, out string error)
    {
        macro = null!;
        var tokens = new List<Token>();
        var literal = new StringBuilder();
        var lastWasExpand = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            lastWasExpand = c == '%';
            if (c != '%')
            {
                // macro-literal = %x21-24 / %x26-7E; an explain-string adds SP.
                if (c is < '!' or > '~' && !(explanation && c == ' '))
                {
                    error = $"character 0x{(int)c:X2} is not allowed in '{text}'";
                    return false;
                }

                literal.Append(c);
                continue;
            }

            if (i + 1 >= text.Length)
            {
                error = $"'%' at the end of '{text}' (write %% for a percent sign)";
                return false;
            }

            var next = text[++i];
            switch (next)
            {
                case '%':
                    literal.Append('%');
                    continue;
                case '_':
                    literal.Append(' ');
                    continue;
                case '-':
                    literal.Append("%20");
                    continue;
                case '{':
                    break;
                default:
                    error = $"'%{next}' is not a macro in '{text}' (RFC 7208 §7.1: '%' must be followed by '{{', '%', '-' or '_')";
                    return false;
            }

            var close = text.IndexOf('}', i);
            if (close < 0)
            {
                error = $"unclosed macro in '{text}'";
                return false;
            }

            if (!TryParseMacro(text[(i + 1)..close], explanation, out var token, out error))
            {
                return false;
            }

            if (literal.Length > 0)
            {
                tokens.Add(new Token(TokenKind.Literal, literal.ToString()));
                literal.Clear();
            }

            tokens.Add(token);
            i = close;
        }

        if (literal.Length > 0)
        {
            tokens.Add(new Token(TokenKind.Literal, literal.ToString()));
        }

        macro = new SpfMacroString(text, tokens, lastWasExpand);
        error = "";
        return true;
    }

    /// <summary>
    /// A domain-spec (§7.1): <c>domain-end = ( "." toplabel [ "." ] ) / macro-expand</c>. Checked before
    /// expansion, as the grammar applies to what the record says, not to what a macro makes of it.
    /// </summary>
    public static bool TryParseDomainSpec(string text, out SpfMacroString macro, out string error)
    {
        if (text.Length == 0)
        {
            macro = null!;
            error = "empty domain-spec";
            return false;
        }

        if (!TryParse(text, explanation: false, out macro, out error))
        {
            return false;
        }

        if (macro.EndsWithExpand)
        {
            return true;
        }

        var tail = text.EndsWith('.') ? text[..^1] : text;
        var dot = tail.LastIndexOf('.');
        if (dot < 0 || !IsTopLabel(tail[(dot + 1)..]))
        {
            error = $"'{text}' does not end in a macro or a valid top label (RFC 7208 §7.1)";
            return false;
        }

        return true;
    }

    /// <summary>§7.3: expand every macro; <paramref name="forDomain"/> also trims the name to 253 characters from the left.</summary>
    public string Expand(SpfMacroContext context, bool forDomain)
    {
        var text = new StringBuilder();
        foreach (var token in _tokens)
        {
            text.Append(token.Kind == TokenKind.Literal ? token.Literal : ExpandMacro(token, context));
        }

        if (!forDomain)
        {
            return text.ToString();
        }

        // §7.3: a domain name longer than 253 characters loses labels from the left until it fits; a trailing dot
        // is not part of the name asked for.
        var name = text.ToString().TrimEnd('.');
        while (name.Length > DnsNames.MaxNameLength)
        {
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                break;
            }

            name = name[(dot + 1)..];
        }

        return name;
    }

    private static string ExpandMacro(Token token, SpfMacroContext context)
    {
        var ip = DnsNames.Unmap(context.Ip);
        var value = token.Letter switch
        {
            's' => context.Sender,
            'l' => context.LocalPart,
            'o' => context.SenderDomain,
            'd' => context.Domain,
            'i' => ip.AddressFamily == AddressFamily.InterNetwork ? ip.ToString() : string.Join('.', DnsNames.ReversedLabels(ip).Split('.').Reverse()),
            'p' => context.ValidatedName,
            'v' => ip.AddressFamily == AddressFamily.InterNetwork ? "in-addr" : "ip6",
            'h' => context.Helo,
            'c' => ip.ToString(),
            'r' => context.ReceivingHost,
            't' => context.Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            _ => "",
        };

        // §7.3: split on the delimiters (default "."), optionally reverse, keep the rightmost DIGITS parts, join with ".".
        var parts = value.Split(token.Delimiters.Length == 0 ? ['.'] : token.Delimiters.ToCharArray());
        IEnumerable<string> kept = parts;
        if (token.Reverse)
        {
            kept = kept.Reverse();
        }

        var list = kept.ToList();
        if (token.Digits > 0 && token.Digits < list.Count)
        {
            list = list.GetRange(list.Count - token.Digits, token.Digits);
        }

        var expanded = string.Join('.', list);
        return token.Upper ? UrlEscape(expanded) : expanded;
    }

    // §7.3: an upper-case macro letter means "URL-escape the value" (RFC 3986 unreserved characters stay).
    private static string UrlEscape(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')
            {
                text.Append(c);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }

    // macro-expand = "%{" macro-letter transformers *delimiter "}"; transformers = *DIGIT [ "r" ].
    private static bool TryParseMacro(string body, bool explanation, out Token token, out string error)
    {
        token = null!;
        if (body.Length == 0)
        {
            error = "empty macro %{}";
            return false;
        }

        var letter = char.ToLowerInvariant(body[0]);
        var allowed = explanation ? "slodipvhcrt" : "slodipvh";
        if (!allowed.Contains(letter, StringComparison.Ordinal))
        {
            error = $"'%{{{body}}}': '{body[0]}' is not a macro letter{(explanation ? "" : " here (c, r and t belong in exp= text only)")}";
            return false;
        }

        var position = 1;
        var digits = 0;
        var digitStart = position;
        while (position < body.Length && char.IsAsciiDigit(body[position]))
        {
            digits = Math.Min(1000, (digits * 10) + (body[position] - '0'));
            position++;
        }

        if (position > digitStart && digits == 0)
        {
            error = $"'%{{{body}}}': the number of parts must not be zero (RFC 7208 §7.3)";
            return false;
        }

        var reverse = false;
        if (position < body.Length && body[position] is 'r' or 'R')
        {
            reverse = true;
            position++;
        }

        var delimiters = body[position..];
        if (delimiters.Any(c => !Delimiters.Contains(c, StringComparison.Ordinal)))
        {
            error = $"'%{{{body}}}' has characters that are not delimiters ({Delimiters})";
            return false;
        }

        token = new Token(TokenKind.Macro, "", letter, char.IsUpper(body[0]), digits, reverse, delimiters);
        error = "";
        return true;
    }

    // toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    private static bool IsTopLabel(string label) =>
        label.Length > 0
        && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
        && label[0] != '-' && label[^1] != '-'
        && (label.Contains('-', StringComparison.Ordinal) || label.Any(char.IsAsciiLetter));

    private enum TokenKind
    {
        Literal,
        Macro,
    }

    private sealed record Token(TokenKind Kind, string Literal, char Letter = '\0', bool Upper = false, int Digits = 0, bool Reverse = false, string Delimiters = "");
}
