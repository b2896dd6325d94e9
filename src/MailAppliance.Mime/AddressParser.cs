using System.Text;

namespace MailAppliance.Mime;

/// <summary>
/// Parses address lists (RFC 5322 §3.4, obsolete forms of §4.4, RFC 6532 UTF-8) forgivingly: display names,
/// quoted local parts, groups, comments as names, source routes, missing domains, unbalanced brackets, stray
/// commas and semicolons. It never fails; text that is not an address is skipped.
/// </summary>
public static class AddressParser
{
    /// <summary>Parses an address-list header value (From, To, Cc, Bcc, Reply-To, Sender…).</summary>
    public static IReadOnlyList<Address> ParseList(string value)
    {
        var tokens = Tokenize(value);
        var result = new List<Address>();
        var i = 0;
        while (i < tokens.Count)
        {
            var t = tokens[i];
            // Stray separators (also the ':' left by an obsolete route written without angle brackets) are skipped.
            if (t.Kind == Kind.Special && (t.Text == "," || t.Text == ";" || t.Text == ">" || t.Text == ":"))
            {
                i++;
                continue;
            }

            var before = i;
            var address = ParseAddress(tokens, ref i, inGroup: false);
            if (address is not null)
            {
                result.Add(address);
            }

            if (i == before)
            {
                i++;
            }
        }

        return result;
    }

    /// <summary>Every mailbox of a list, group members flattened.</summary>
    public static IReadOnlyList<MailboxAddress> ParseMailboxes(string value) =>
        ParseList(value).SelectMany(a => a switch
        {
            MailboxAddress m => new[] { m },
            GroupAddress g => g.Members,
            _ => Array.Empty<MailboxAddress>(),
        }).ToList();

    private static Address? ParseAddress(List<Token> tokens, ref int i, bool inGroup)
    {
        // Find what decides the form: '<' (name-addr), ':' (group), or otherwise an addr-spec.
        var j = i;
        while (j < tokens.Count && !(tokens[j].Kind == Kind.Special && tokens[j].Text is "<" or ":" or "," or ";"))
        {
            j++;
        }

        var decider = j < tokens.Count ? tokens[j].Text : string.Empty;
        if (decider == ":" && !inGroup && !HasAt(tokens, i, j))
        {
            var name = Phrase(tokens, i, j) ?? string.Empty;
            i = j + 1;
            var members = new List<MailboxAddress>();
            while (i < tokens.Count)
            {
                var t = tokens[i];
                if (t.Kind == Kind.Special && t.Text == ";")
                {
                    i++;
                    break;
                }

                if (t.Kind == Kind.Special && t.Text is "," or ">" or ":")
                {
                    i++;
                    continue;
                }

                var before = i;
                if (ParseAddress(tokens, ref i, inGroup: true) is MailboxAddress m)
                {
                    members.Add(m);
                }

                if (i == before)
                {
                    i++;
                }
            }

            return new GroupAddress(name, members);
        }

        if (decider == "<")
        {
            var name = Phrase(tokens, i, j);
            i = j + 1;
            string? route = null;
            if (i < tokens.Count && tokens[i].Kind == Kind.Special && tokens[i].Text == "@")
            {
                // RFC 5322 §4.4 obs-route: "@a,@b:" before the addr-spec.
                var k = i;
                while (k < tokens.Count && !(tokens[k].Kind == Kind.Special && tokens[k].Text is ":" or ">"))
                {
                    k++;
                }

                if (k < tokens.Count && tokens[k].Text == ":")
                {
                    route = Concat(tokens, i, k);
                    i = k + 1;
                }
            }

            var end = i;
            while (end < tokens.Count && !(tokens[end].Kind == Kind.Special && tokens[end].Text is ">" or "," or ";" or "<"))
            {
                end++;
            }

            var (local, domain) = AddrSpec(tokens, i, end);
            i = end < tokens.Count && tokens[end].Text == ">" ? end + 1 : end;
            var comment = TrailingComment(tokens, ref i);
            if (local is null && domain is null && route is null && name is null)
            {
                // "<>" (the null return path, RFC 5321 §4.5.5) is an empty address.
                return new MailboxAddress(null, null, string.Empty, null);
            }

            return new MailboxAddress(name ?? comment, route, local, domain);
        }

        // addr-spec, possibly followed by a comment holding the name: "jdoe@example.org (John Doe)".
        var stop = j;
        var (l, d) = AddrSpec(tokens, i, stop);
        string? nameFromComment = null;
        for (var k = i; k < stop; k++)
        {
            if (tokens[k].Kind == Kind.Comment)
            {
                nameFromComment = tokens[k].Text;
            }
        }

        i = stop;
        if (l is null && d is null)
        {
            return null;
        }

        return new MailboxAddress(string.IsNullOrWhiteSpace(nameFromComment) ? null : nameFromComment.Trim(), null, l, d);
    }

    private static bool HasAt(List<Token> tokens, int from, int to)
    {
        for (var k = from; k < to; k++)
        {
            if (tokens[k].Kind == Kind.Special && tokens[k].Text == "@")
            {
                return true;
            }
        }

        return false;
    }

    private static string? TrailingComment(List<Token> tokens, ref int i)
    {
        string? comment = null;
        while (i < tokens.Count && tokens[i].Kind == Kind.Comment)
        {
            comment = tokens[i].Text;
            i++;
        }

        return string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
    }

    /// <summary>RFC 5322 §3.4.1 addr-spec from tokens [from, to): local "@" domain, comments ignored.</summary>
    private static (string? Local, string? Domain) AddrSpec(List<Token> tokens, int from, int to)
    {
        var at = -1;
        for (var k = to - 1; k >= from; k--)
        {
            if (tokens[k].Kind == Kind.Special && tokens[k].Text == "@")
            {
                at = k;
                break;
            }
        }

        if (at < 0)
        {
            var only = Concat(tokens, from, to);
            return (only.Length == 0 ? null : only, null);
        }

        var local = Concat(tokens, from, at);
        var domain = Concat(tokens, at + 1, to);
        return (local.Length == 0 ? null : local, domain.Length == 0 ? null : domain);
    }

    /// <summary>Joins atoms, dots and quoted strings without whitespace (obs-local-part allows CFWS around dots).</summary>
    private static string Concat(List<Token> tokens, int from, int to)
    {
        var sb = new StringBuilder();
        for (var k = from; k < to; k++)
        {
            var t = tokens[k];
            switch (t.Kind)
            {
                case Kind.Comment:
                    break;
                case Kind.Quoted:
                    sb.Append(t.Text);
                    break;
                case Kind.DomainLiteral:
                    sb.Append('[').Append(t.Text).Append(']');
                    break;
                default:
                    sb.Append(t.Text);
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>RFC 5322 §3.2.5 phrase (with obs-phrase dots): words joined by one space; null when empty.</summary>
    private static string? Phrase(List<Token> tokens, int from, int to)
    {
        var sb = new StringBuilder();
        for (var k = from; k < to; k++)
        {
            var t = tokens[k];
            if (t.Kind == Kind.Comment)
            {
                continue;
            }

            if (sb.Length > 0 && t.SpaceBefore)
            {
                sb.Append(' ');
            }

            sb.Append(t.Kind == Kind.DomainLiteral ? "[" + t.Text + "]" : t.Text);
        }

        return sb.Length == 0 ? null : sb.ToString();
    }

    private static List<Token> Tokenize(string value)
    {
        var tokens = new List<Token>();
        var t = new HeaderTokenizer(value);
        var space = false;
        while (!t.AtEnd)
        {
            var c = t.Peek;
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                t.Position++;
                space = true;
                continue;
            }

            if (c == '(')
            {
                tokens.Add(new Token(Kind.Comment, t.ReadComment(), space));
            }
            else if (c == '"')
            {
                tokens.Add(new Token(Kind.Quoted, t.ReadQuoted(), space));
            }
            else if (c == '[')
            {
                var rest = t.Rest;
                var close = rest.IndexOf(']');
                var literal = close < 0 ? rest[1..] : rest[1..close];
                t.Position += close < 0 ? rest.Length : close + 1;
                tokens.Add(new Token(Kind.DomainLiteral, literal.ToString(), space));
            }
            else if ("<>@,;:.\\".Contains(c, StringComparison.Ordinal))
            {
                t.Position++;
                tokens.Add(new Token(c == '.' || c == '\\' ? Kind.Atom : Kind.Special, c.ToString(), space));
            }
            else
            {
                var atom = t.ReadToken(TokenKind.Atom);
                if (atom.Length == 0)
                {
                    t.Position++;
                    continue;
                }

                tokens.Add(new Token(Kind.Atom, atom, space));
            }

            space = false;
        }

        return tokens;
    }

    private enum Kind
    {
        Atom,
        Quoted,
        Comment,
        Special,
        DomainLiteral,
    }

    private readonly record struct Token(Kind Kind, string Text, bool SpaceBefore);
}
