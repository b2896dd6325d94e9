using System.Text;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>
/// Splits a script into tokens (RFC 5228 §8.1). Pure: it works on the script text and records where each token
/// starts, so every later error can name a line and a column. Bare LF line ends are taken as CRLF (as Pigeonhole
/// does: scripts are often written on Unix).
/// </summary>
public sealed class SieveLexer
{
    private readonly string _text;
    private int _index;
    private int _line = 1;
    private int _lineStart;

    public SieveLexer(string text) => _text = text;

    /// <summary>The first lexical error met, if any; then the last token returned is <see cref="SieveTokenKind.End"/>.</summary>
    public SieveDiagnostic? Error { get; private set; }

    private SievePosition Here => new(_line, _index - _lineStart + 1);

    /// <summary>Reads every token; stops at the first error (returning what came before it and an End token).</summary>
    public static List<SieveToken> Tokenize(string text, out SieveDiagnostic? error)
    {
        var lexer = new SieveLexer(text);
        var tokens = new List<SieveToken>();
        while (true)
        {
            var token = lexer.Next();
            tokens.Add(token);
            if (token.Kind == SieveTokenKind.End)
            {
                error = lexer.Error;
                return tokens;
            }
        }
    }

    public SieveToken Next()
    {
        if (Error is not null || !SkipWhitespaceAndComments())
        {
            return new SieveToken(SieveTokenKind.End, Here, string.Empty);
        }

        if (_index >= _text.Length)
        {
            return new SieveToken(SieveTokenKind.End, Here, string.Empty);
        }

        var start = Here;
        var c = _text[_index];
        switch (c)
        {
            case '[': _index++; return new SieveToken(SieveTokenKind.LeftBracket, start, "[");
            case ']': _index++; return new SieveToken(SieveTokenKind.RightBracket, start, "]");
            case '(': _index++; return new SieveToken(SieveTokenKind.LeftParen, start, "(");
            case ')': _index++; return new SieveToken(SieveTokenKind.RightParen, start, ")");
            case '{': _index++; return new SieveToken(SieveTokenKind.LeftBrace, start, "{");
            case '}': _index++; return new SieveToken(SieveTokenKind.RightBrace, start, "}");
            case ',': _index++; return new SieveToken(SieveTokenKind.Comma, start, ",");
            case ';': _index++; return new SieveToken(SieveTokenKind.Semicolon, start, ";");
            case '"': return QuotedString(start);
            case ':':
                _index++;
                if (_index < _text.Length && IsIdentifierStart(_text[_index]))
                {
                    return new SieveToken(SieveTokenKind.Tag, start, Identifier());
                }

                return Fail(start, "expected a tag name after ':'");
        }

        if (char.IsAsciiDigit(c))
        {
            return Number(start);
        }

        if (IsIdentifierStart(c))
        {
            var word = Identifier();
            // RFC 5228 §8.1: multi-line = "text:" *(SP / HTAB) (hash-comment / CRLF) ...
            if (word.Equals("text", StringComparison.OrdinalIgnoreCase) && _index < _text.Length && _text[_index] == ':')
            {
                _index++;
                return MultiLine(start);
            }

            return new SieveToken(SieveTokenKind.Identifier, start, word);
        }

        return Fail(start, $"unexpected character '{Printable(c)}'");
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static string Printable(char c) => c < 0x20 ? $"\\x{(int)c:X2}" : c.ToString();

    private SieveToken Fail(SievePosition at, string message)
    {
        Error ??= SieveDiagnostic.Error(at, message);
        return new SieveToken(SieveTokenKind.End, at, string.Empty);
    }

    private void NewLine(int indexAfterBreak)
    {
        _line++;
        _lineStart = indexAfterBreak;
    }

    /// <summary>Skips white space, hash comments and bracket comments; false on an unterminated comment.</summary>
    private bool SkipWhitespaceAndComments()
    {
        while (_index < _text.Length)
        {
            var c = _text[_index];
            if (c == '\n')
            {
                _index++;
                NewLine(_index);
            }
            else if (c is ' ' or '\t' or '\r')
            {
                _index++;
            }
            else if (c == '#')
            {
                while (_index < _text.Length && _text[_index] != '\n')
                {
                    _index++;
                }
            }
            else if (c == '/' && _index + 1 < _text.Length && _text[_index + 1] == '*')
            {
                var start = Here;
                _index += 2;
                while (true)
                {
                    if (_index + 1 >= _text.Length)
                    {
                        _index = _text.Length;
                        Fail(Here, $"end of file before end of bracket comment ('/* ... */') started at line {start.Line}.");
                        return false;
                    }

                    if (_text[_index] == '*' && _text[_index + 1] == '/')
                    {
                        _index += 2;
                        break;
                    }

                    if (_text[_index] == '\n')
                    {
                        NewLine(_index + 1);
                    }

                    _index++;
                }
            }
            else
            {
                return true;
            }
        }

        return true;
    }

    private string Identifier()
    {
        var start = _index;
        while (_index < _text.Length && (char.IsAsciiLetterOrDigit(_text[_index]) || _text[_index] == '_'))
        {
            _index++;
        }

        return _text[start.._index];
    }

    private SieveToken Number(SievePosition start)
    {
        var startIndex = _index;
        long value = 0;
        while (_index < _text.Length && char.IsAsciiDigit(_text[_index]))
        {
            value = (value * 10) + (_text[_index] - '0');
            if (value > uint.MaxValue)
            {
                // RFC 5228 §2.4.1: implementations must support at least 2^31; we stop at 2^32 - 1 as Pigeonhole.
                return Fail(start, "number is too large");
            }

            _index++;
        }

        if (_index < _text.Length)
        {
            var multiplier = char.ToUpperInvariant(_text[_index]) switch
            {
                'K' => 1024L,
                'M' => 1024L * 1024,
                'G' => 1024L * 1024 * 1024,
                _ => 1L,
            };
            if (multiplier > 1)
            {
                _index++;
                value *= multiplier;
                if (value > uint.MaxValue)
                {
                    return Fail(start, "number is too large");
                }
            }
        }

        if (_index < _text.Length && (char.IsAsciiLetter(_text[_index]) || _text[_index] == '_'))
        {
            return Fail(start, "invalid number");
        }

        return new SieveToken(SieveTokenKind.Number, start, _text[startIndex.._index], value);
    }

    private SieveToken QuotedString(SievePosition start)
    {
        _index++;
        var sb = new StringBuilder();
        while (_index < _text.Length)
        {
            var c = _text[_index++];
            if (c == '"')
            {
                return new SieveToken(SieveTokenKind.String, start, sb.ToString());
            }

            if (c == '\\')
            {
                if (_index >= _text.Length)
                {
                    break;
                }

                // RFC 5228 §2.4.2: "\\" and "\"" are escapes; any other backslash is removed (undefined escapes).
                c = _text[_index++];
            }

            if (c == '\n')
            {
                NewLine(_index);
            }

            sb.Append(c);
        }

        return Fail(Here, $"end of file before end of quoted string started at line {start.Line}.");
    }

    private SieveToken MultiLine(SievePosition start)
    {
        while (_index < _text.Length && _text[_index] is ' ' or '\t')
        {
            _index++;
        }

        if (_index < _text.Length && _text[_index] == '#')
        {
            while (_index < _text.Length && _text[_index] != '\n')
            {
                _index++;
            }
        }

        if (_index < _text.Length && _text[_index] == '\r')
        {
            _index++;
        }

        if (_index >= _text.Length || _text[_index] != '\n')
        {
            return Fail(start, "text: must be followed by a line break");
        }

        _index++;
        NewLine(_index);
        var sb = new StringBuilder();
        while (_index < _text.Length)
        {
            var end = _text.IndexOf('\n', _index);
            var line = end < 0 ? _text[_index..] : _text[_index..end];
            _index = end < 0 ? _text.Length : end + 1;
            if (end >= 0)
            {
                NewLine(_index);
            }

            if (line.EndsWith('\r'))
            {
                line = line[..^1];
            }

            if (line == ".")
            {
                return new SieveToken(SieveTokenKind.String, start, sb.ToString());
            }

            // RFC 5228 §2.4.2: a line starting with "." has it doubled (dot-stuffing).
            if (line.StartsWith("..", StringComparison.Ordinal))
            {
                line = line[1..];
            }

            sb.Append(line).Append("\r\n");
            if (end < 0)
            {
                break;
            }
        }

        return Fail(Here, $"end of file before end of multi-line string started at line {start.Line}.");
    }
}
