using System.Text;

namespace MailAppliance.Imap.Protocol;

/// <summary>
/// What a command line ends with: the announcement of a literal (RFC 9051 §4.3, RFC 7888 <c>{n+}</c>), or of a
/// literal8 (RFC 3516 <c>~{n}</c>, whose bytes may include NUL).
/// </summary>
public readonly record struct LiteralMarker(long Size, bool NonSynchronizing, bool Minus, bool Binary = false);

/// <summary>
/// The sans-I/O side of command reading: finds a literal announcement at the end of a line, and turns the collected
/// segments (lines and literals) into a tag, a command name and a tree of arguments. Knows nothing about sockets.
/// </summary>
public static class ImapCommandParser
{
    /// <summary>Maximum nesting of parenthesized lists.</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// Splits a line into its text and a trailing <c>{n}</c>, <c>{n+}</c> or <c>{n-}</c>. False when there is none.
    /// </summary>
    public static bool TryGetLiteralMarker(ReadOnlySpan<byte> line, out LiteralMarker marker, out int textLength)
    {
        marker = default;
        textLength = line.Length;
        if (line.Length < 3 || line[^1] != (byte)'}')
        {
            return false;
        }

        var open = line.LastIndexOf((byte)'{');
        if (open < 0)
        {
            return false;
        }

        var inner = line[(open + 1)..^1];
        var plus = inner.Length > 0 && inner[^1] == (byte)'+';
        var minus = inner.Length > 0 && inner[^1] == (byte)'-';
        var digits = plus || minus ? inner[..^1] : inner;
        if (digits.Length == 0 || digits.Length > 12)
        {
            return false;
        }

        long size = 0;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            size = (size * 10) + (b - '0');
        }

        // RFC 3516 §4.1: literal8 = "~{" number "}" (with RFC 7888's "+" as well).
        var binary = open > 0 && line[open - 1] == (byte)'~';
        marker = new LiteralMarker(size, plus || minus, minus, binary);
        textLength = binary ? open - 1 : open;
        return true;
    }

    /// <summary>The tag and command name of a first line (for limits chosen before the literal is read); null when unreadable.</summary>
    public static (string Tag, string Name)? PeekTagAndName(ReadOnlySpan<byte> firstLine)
    {
        var text = Encoding.Latin1.GetString(firstLine);
        var parts = text.Split(' ', 4);
        if (parts.Length < 2)
        {
            return null;
        }

        var name = parts[1].ToUpperInvariant();
        if (name == "UID" && parts.Length > 2)
        {
            name += " " + parts[2].ToUpperInvariant();
        }

        return (parts[0], name);
    }

    /// <summary>Parses a whole command; on failure, <paramref name="tag"/> is what could be read of the tag ("*" if none).</summary>
    public static bool TryParse(IReadOnlyList<CommandSegment> segments, List<LiteralFile> files, out ImapCommand? command, out string tag, out string error)
    {
        command = null;
        error = "";
        var cursor = new Cursor(segments);
        tag = cursor.ReadTag() ?? "*";
        if (tag == "*" || !cursor.Space())
        {
            error = "Missing tag or command";
            return false;
        }

        var name = cursor.ReadAtomText();
        if (string.IsNullOrEmpty(name))
        {
            error = "Missing command";
            return false;
        }

        name = name.ToUpperInvariant();
        var arguments = new List<ImapValue>();
        if (name == "UID")
        {
            if (!cursor.Space() || cursor.ReadAtomText() is not { Length: > 0 } sub)
            {
                error = "UID needs a command";
                return false;
            }

            name = "UID " + sub.ToUpperInvariant();
        }

        while (!cursor.AtEnd)
        {
            if (!cursor.Space())
            {
                error = "Expected a space between arguments";
                return false;
            }

            if (cursor.AtEnd)
            {
                // Tolerate a trailing space (some clients send one).
                break;
            }

            var value = cursor.ReadValue(0, out error);
            if (value is null)
            {
                return false;
            }

            arguments.Add(value);
        }

        command = new ImapCommand(tag, name, arguments, files);
        return true;
    }

    /// <summary>Parses one value from a standalone string (used by tests and by arguments that nest).</summary>
    public static IReadOnlyList<ImapValue>? ParseValues(string text, out string error)
    {
        var cursor = new Cursor([new TextSegment(Encoding.UTF8.GetBytes(text))]);
        var values = new List<ImapValue>();
        error = "";
        while (!cursor.AtEnd)
        {
            if (values.Count > 0 && !cursor.Space())
            {
                error = "Expected a space";
                return null;
            }

            var value = cursor.ReadValue(0, out error);
            if (value is null)
            {
                return null;
            }

            values.Add(value);
        }

        return values;
    }

    private sealed class Cursor
    {
        private readonly IReadOnlyList<CommandSegment> _segments;
        private int _segment;
        private int _position;

        public Cursor(IReadOnlyList<CommandSegment> segments)
        {
            _segments = segments;
            SkipEmptyText();
        }

        public bool AtEnd => _segment >= _segments.Count;

        private byte[]? Text => _segment < _segments.Count && _segments[_segment] is TextSegment t ? t.Text : null;

        private int Peek() => Text is { } text && _position < text.Length ? text[_position] : -1;

        private void Advance()
        {
            _position++;
            SkipEmptyText();
        }

        private void SkipEmptyText()
        {
            while (_segment < _segments.Count && _segments[_segment] is TextSegment t && _position >= t.Text.Length)
            {
                _segment++;
                _position = 0;
            }
        }

        public bool Space()
        {
            if (Peek() != ' ')
            {
                return false;
            }

            Advance();
            return true;
        }

        public string? ReadTag()
        {
            var start = _position;
            var text = Text;
            if (text is null)
            {
                return null;
            }

            while (_position < text.Length && IsTagChar(text[_position]))
            {
                _position++;
            }

            var tag = _position > start ? Encoding.Latin1.GetString(text, start, _position - start) : null;
            SkipEmptyText();
            return tag;
        }

        public string? ReadAtomText()
        {
            var text = Text;
            if (text is null)
            {
                return null;
            }

            var start = _position;
            var depth = 0;
            while (_position < text.Length)
            {
                var b = text[_position];
                if (b == '[')
                {
                    depth++;
                }
                else if (b == ']')
                {
                    depth = Math.Max(0, depth - 1);
                }
                else if (depth == 0 && (b is (byte)' ' or (byte)'(' or (byte)')' or (byte)'"' or (byte)'{' || b < 0x20 || b == 0x7f))
                {
                    break;
                }

                _position++;
            }

            var atom = Encoding.UTF8.GetString(text, start, _position - start);
            SkipEmptyText();
            return atom;
        }

        public ImapValue? ReadValue(int depth, out string error)
        {
            error = "";
            if (_segment < _segments.Count && _segments[_segment] is LiteralSegment literal)
            {
                _segment++;
                _position = 0;
                SkipEmptyText();
                return literal.Value;
            }

            switch (Peek())
            {
                case '(':
                    if (depth >= MaxDepth)
                    {
                        error = "Lists nested too deeply";
                        return null;
                    }

                    Advance();
                    var items = new List<ImapValue>();
                    while (true)
                    {
                        if (AtEnd)
                        {
                            error = "Missing ')'";
                            return null;
                        }

                        if (Peek() == ')')
                        {
                            Advance();
                            return new ImapList(items);
                        }

                        if (items.Count > 0 && !Space())
                        {
                            error = "Expected a space in a list";
                            return null;
                        }

                        if (Peek() == ')')
                        {
                            continue;
                        }

                        var item = ReadValue(depth + 1, out error);
                        if (item is null)
                        {
                            return null;
                        }

                        items.Add(item);
                    }

                case '"':
                    return ReadQuoted(out error);
                case ')':
                    error = "Unexpected ')'";
                    return null;
                case -1:
                    error = "Missing argument";
                    return null;
                default:
                    var atom = ReadAtomText();
                    if (string.IsNullOrEmpty(atom))
                    {
                        error = "Invalid characters";
                        return null;
                    }

                    return new ImapAtom(atom);
            }
        }

        private ImapString? ReadQuoted(out string error)
        {
            error = "";
            var text = Text!;
            _position++;
            var bytes = new List<byte>();
            while (_position < text.Length)
            {
                var b = text[_position++];
                if (b == '"')
                {
                    SkipEmptyText();
                    return new ImapString(bytes.ToArray(), false);
                }

                if (b == '\\')
                {
                    if (_position >= text.Length || text[_position] is not ((byte)'"' or (byte)'\\'))
                    {
                        error = "Invalid escape in quoted string";
                        return null;
                    }

                    b = text[_position++];
                }

                bytes.Add(b);
            }

            error = "Unterminated quoted string";
            return null;
        }

        // RFC 9051 §9: tag = 1*<any ASTRING-CHAR except "+">.
        private static bool IsTagChar(byte b) =>
            b > 0x20 && b < 0x7f && b is not ((byte)'(' or (byte)')' or (byte)'{' or (byte)'%' or (byte)'*' or (byte)'"' or (byte)'\\' or (byte)'+');
    }
}
