using System.Text;

namespace MailAppliance.Mime;

/// <summary>
/// A forgiving lexer for structured header values (RFC 5322 §3.2): comments, quoted strings, atoms and specials.
/// It never fails: unterminated quotes and comments end at the end of the value.
/// </summary>
internal ref struct HeaderTokenizer
{
    private readonly ReadOnlySpan<char> _text;

    public HeaderTokenizer(ReadOnlySpan<char> text)
    {
        _text = text;
        Position = 0;
    }

    public int Position { get; set; }

    public readonly bool AtEnd => Position >= _text.Length;

    public readonly char Peek => Position < _text.Length ? _text[Position] : '\0';

    public readonly ReadOnlySpan<char> Rest => _text[Math.Min(Position, _text.Length)..];

    /// <summary>Returns the first token of a value such as a Content-Transfer-Encoding (comments skipped).</summary>
    public static string FirstToken(string value)
    {
        var t = new HeaderTokenizer(value);
        t.SkipCfws();
        return t.ReadToken(TokenKind.Mime);
    }

    /// <summary>The value's only token (comments allowed around it), or "" when there is none or more follows.</summary>
    public static string SingleToken(string value)
    {
        var t = new HeaderTokenizer(value);
        t.SkipCfws();
        var token = t.ReadToken(TokenKind.Mime);
        t.SkipCfws();
        return t.AtEnd ? token : string.Empty;
    }

    /// <summary>RFC 5322 §3.2.2: skips whitespace and (nested) comments; returns the last comment's text if any.</summary>
    public string? SkipCfws()
    {
        string? comment = null;
        while (Position < _text.Length)
        {
            var c = _text[Position];
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                Position++;
            }
            else if (c == '(')
            {
                comment = ReadComment();
            }
            else
            {
                break;
            }
        }

        return comment;
    }

    /// <summary>Reads a comment starting at '(' and returns its content (quoted-pairs resolved).</summary>
    public string ReadComment()
    {
        var sb = new StringBuilder();
        var depth = 0;
        while (Position < _text.Length)
        {
            var c = _text[Position++];
            if (c == '\\' && Position < _text.Length)
            {
                sb.Append(_text[Position++]);
                continue;
            }

            if (c == '(')
            {
                if (depth++ > 0)
                {
                    sb.Append(c);
                }

                continue;
            }

            if (c == ')')
            {
                if (--depth == 0)
                {
                    break;
                }

                sb.Append(c);
                continue;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>RFC 5322 §3.2.4: reads a quoted string starting at '"' (quoted-pairs resolved, folding removed).</summary>
    public string ReadQuoted()
    {
        var sb = new StringBuilder();
        Position++;
        while (Position < _text.Length)
        {
            var c = _text[Position++];
            if (c == '"')
            {
                break;
            }

            if (c == '\\' && Position < _text.Length)
            {
                sb.Append(_text[Position++]);
                continue;
            }

            if (c is '\r' or '\n')
            {
                continue;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>Reads a run of token characters of the given kind (possibly empty).</summary>
    public string ReadToken(TokenKind kind)
    {
        var start = Position;
        while (Position < _text.Length && IsTokenChar(_text[Position], kind))
        {
            Position++;
        }

        return _text[start..Position].ToString();
    }

    /// <summary>Is <paramref name="c"/> allowed in an atom (RFC 5322 §3.2.3) or MIME token (RFC 2045 §5.1)?</summary>
    public static bool IsTokenChar(char c, TokenKind kind)
    {
        if (c <= ' ' || c == 0x7f)
        {
            return false;
        }

        if (c > 0x7f)
        {
            return true; // RFC 6532 §3.2: UTF-8 in atoms; also tolerates legacy 8-bit.
        }

        return kind switch
        {
            TokenKind.Atom => "()<>[]:;@\\,.\"".IndexOf(c) < 0,
            TokenKind.DotAtom => "()<>[]:;@\\,\"".IndexOf(c) < 0,
            _ => "()<>@,;:\\\"/[]?=".IndexOf(c) < 0,
        };
    }
}

/// <summary>Which characters a token may hold.</summary>
internal enum TokenKind
{
    /// <summary>RFC 5322 atext.</summary>
    Atom,

    /// <summary>atext plus '.' (dot-atom, also the obsolete forms with CFWS around dots).</summary>
    DotAtom,

    /// <summary>RFC 2045 §5.1 token.</summary>
    Mime,
}
