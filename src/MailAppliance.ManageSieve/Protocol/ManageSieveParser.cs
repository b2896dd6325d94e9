using System.Buffers;
using System.Globalization;
using System.Text;

namespace MailAppliance.ManageSieve.Protocol;

/// <summary>
/// Sans-I/O parser of ManageSieve commands (RFC 5804 §4): <c>command *(SP argument) CRLF</c> where an argument is
/// an atom or number, a quoted string, or a literal <c>{N+}</c>/<c>{N}</c> CRLF followed by N octets (no
/// continuation is sent for either form). Limits come before interpretation: a line longer than
/// <see cref="MaxLineLength"/> or a literal over <see cref="MaxLiteralSize"/> is Invalid, with <c>skip</c> saying
/// how many literal octets the session must discard to stay in step. A command is also bounded as a whole (its
/// lines, literal announcements and literal octets together, and its number of arguments): each literal restarts
/// the line count, so without this a command continued by literal after literal (<c>{0}</c> lines, or one
/// maximal script after another) grew without bound in the session's buffer (the managesieve-command fuzz
/// target's bound on a command fails on that).
/// </summary>
public sealed class ManageSieveParser
{
    public ManageSieveParser(int maxLineLength, long maxLiteralSize)
    {
        MaxLineLength = maxLineLength;
        MaxLiteralSize = maxLiteralSize;
    }

    public int MaxLineLength { get; }

    public long MaxLiteralSize { get; }

    /// <summary>The most octets one command may take: one literal of the largest size and one line besides.</summary>
    public long MaxCommandLength => MaxLiteralSize + MaxLineLength;

    /// <summary>RFC 5804 commands take at most three arguments (PUTSCRIPT, AUTHENTICATE, RENAMESCRIPT); room to spare.</summary>
    public const int MaxArguments = 16;

    public ManageSieveParseStatus TryParse(ref SequenceReader<byte> reader, out ManageSieveCommand? command, out string? error, out long skip)
    {
        command = null;
        error = null;
        skip = 0;
        var args = new List<byte[]>();
        string? name = null;
        var lineBytes = 0;
        while (true)
        {
            if (reader.Consumed > MaxCommandLength || args.Count > MaxArguments)
            {
                error = "command too long";
                return ManageSieveParseStatus.Invalid;
            }

            if (!reader.TryPeek(out var b))
            {
                if (lineBytes > MaxLineLength)
                {
                    error = "line too long";
                    return ManageSieveParseStatus.Invalid;
                }

                return ManageSieveParseStatus.NeedMoreData;
            }

            if (lineBytes > MaxLineLength)
            {
                error = "line too long";
                return ManageSieveParseStatus.Invalid;
            }

            if (b == (byte)'\r' || b == (byte)'\n')
            {
                var lineEnd = reader.Consumed;
                reader.Advance(1);
                if (b == (byte)'\r')
                {
                    if (!reader.TryPeek(out var lf))
                    {
                        return ManageSieveParseStatus.NeedMoreData;
                    }

                    if (lf == (byte)'\n')
                    {
                        reader.Advance(1);
                    }
                }

                if (name is null && args.Count == 0)
                {
                    // The line's end is left for the session, which skips through it after a refusal: taken here,
                    // the session's skip would take the next command's line with it.
                    reader.Rewind(reader.Consumed - lineEnd);
                    error = "empty command";
                    return ManageSieveParseStatus.Invalid;
                }

                // A line of strings alone is a SASL response (RFC 5804 §2.1); its "name" is empty.
                command = new ManageSieveCommand(name ?? string.Empty, args);
                return ManageSieveParseStatus.Complete;
            }

            if (b == (byte)' ')
            {
                reader.Advance(1);
                lineBytes++;
                continue;
            }

            if (b == (byte)'"')
            {
                var status = Quoted(ref reader, ref lineBytes, out var value, out error);
                if (status != ManageSieveParseStatus.Complete)
                {
                    return status;
                }

                args.Add(value!);
                continue;
            }

            if (b == (byte)'{')
            {
                var status = Literal(ref reader, ref lineBytes, out var value, out error, out skip);
                if (status != ManageSieveParseStatus.Complete)
                {
                    return status;
                }

                args.Add(value!);
                continue;
            }

            var atom = new List<byte>();
            while (reader.TryPeek(out var c) && c is not ((byte)' ' or (byte)'\r' or (byte)'\n'))
            {
                if (c < 0x20 || c == (byte)'"' || c == (byte)'{')
                {
                    error = "invalid character in atom";
                    return ManageSieveParseStatus.Invalid;
                }

                atom.Add(c);
                reader.Advance(1);
                lineBytes++;
                if (lineBytes > MaxLineLength)
                {
                    error = "line too long";
                    return ManageSieveParseStatus.Invalid;
                }
            }

            if (reader.End)
            {
                // The atom may go on in the next read: taken now, a limit on the command could refuse in pieces what
                // it accepts whole (found by the managesieve-command fuzz target: 16 arguments and an atom split
                // across reads gave "command too long"; whole, the atom's next byte was refused).
                return ManageSieveParseStatus.NeedMoreData;
            }

            if (name is null)
            {
                name = Encoding.ASCII.GetString(atom.ToArray()).ToUpperInvariant();
            }
            else
            {
                args.Add(atom.ToArray());
            }
        }
    }

    /// <summary>RFC 5804 §4: quoted = DQUOTE *QUOTED-CHAR DQUOTE; "\" escapes only '"' and '\'.</summary>
    private ManageSieveParseStatus Quoted(ref SequenceReader<byte> reader, ref int lineBytes, out byte[]? value, out string? error)
    {
        value = null;
        error = null;
        reader.Advance(1);
        var bytes = new List<byte>();
        while (reader.TryRead(out var c))
        {
            if (++lineBytes > MaxLineLength)
            {
                error = "line too long";
                return ManageSieveParseStatus.Invalid;
            }

            if (c == (byte)'"')
            {
                value = bytes.ToArray();
                return ManageSieveParseStatus.Complete;
            }

            if (c is (byte)'\r' or (byte)'\n')
            {
                reader.Rewind(1); // as for an empty command: the session skips through this line's end, not the next
                error = "line break in quoted string";
                return ManageSieveParseStatus.Invalid;
            }

            if (c == (byte)'\\')
            {
                if (!reader.TryRead(out c))
                {
                    break;
                }

                if (c is not ((byte)'"' or (byte)'\\'))
                {
                    error = "invalid escape in quoted string";
                    return ManageSieveParseStatus.Invalid;
                }
            }

            bytes.Add(c);
        }

        return ManageSieveParseStatus.NeedMoreData;
    }

    private ManageSieveParseStatus Literal(ref SequenceReader<byte> reader, ref int lineBytes, out byte[]? value, out string? error, out long skip)
    {
        value = null;
        error = null;
        skip = 0;
        reader.Advance(1);
        var digits = new StringBuilder();
        while (reader.TryPeek(out var c) && c is >= (byte)'0' and <= (byte)'9' && digits.Length < 12)
        {
            digits.Append((char)c);
            reader.Advance(1);
        }

        if (!reader.TryPeek(out var next))
        {
            return ManageSieveParseStatus.NeedMoreData;
        }

        if (next == (byte)'+')
        {
            reader.Advance(1);
        }

        if (!reader.TryRead(out var close) || close != (byte)'}' || digits.Length == 0)
        {
            if (reader.End)
            {
                return ManageSieveParseStatus.NeedMoreData;
            }

            error = "invalid literal";
            return ManageSieveParseStatus.Invalid;
        }

        if (!reader.TryRead(out var cr))
        {
            return ManageSieveParseStatus.NeedMoreData;
        }

        if (cr == (byte)'\r' && !reader.TryRead(out cr))
        {
            return ManageSieveParseStatus.NeedMoreData;
        }

        if (cr != (byte)'\n')
        {
            error = "a literal's size must end the line";
            return ManageSieveParseStatus.Invalid;
        }

        var size = long.Parse(digits.ToString(), CultureInfo.InvariantCulture);
        if (size > MaxLiteralSize || reader.Consumed + size > MaxCommandLength)
        {
            error = "literal too large";
            skip = size - Math.Min(size, reader.Remaining);
            reader.Advance(Math.Min(size, reader.Remaining));
            return ManageSieveParseStatus.Invalid;
        }

        if (reader.Remaining < size)
        {
            return ManageSieveParseStatus.NeedMoreData;
        }

        value = reader.UnreadSequence.Slice(0, size).ToArray();
        reader.Advance(size);
        lineBytes = 0;
        return ManageSieveParseStatus.Complete;
    }
}
