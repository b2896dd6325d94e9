using System.Buffers;
using System.Text;

namespace MailAppliance.Pop3.Protocol;

/// <summary>
/// Parses POP3 command lines without I/O. The caller bounds the line length before calling (RFC 2449 §4: commands are
/// at most 255 octets); the parser checks keyword and argument syntax per command.
/// </summary>
public static class Pop3CommandParser
{
    // RFC 2449 §4: "Keywords are case-insensitive" and at most 4 characters; arguments up to 40 characters each.
    private const int MaxArgumentLength = 40;

    private static readonly Dictionary<string, Pop3Verb> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["USER"] = Pop3Verb.User,
        ["PASS"] = Pop3Verb.Pass,
        ["AUTH"] = Pop3Verb.Auth,
        ["STLS"] = Pop3Verb.Stls,
        ["CAPA"] = Pop3Verb.Capa,
        ["STAT"] = Pop3Verb.Stat,
        ["LIST"] = Pop3Verb.List,
        ["RETR"] = Pop3Verb.Retr,
        ["DELE"] = Pop3Verb.Dele,
        ["NOOP"] = Pop3Verb.Noop,
        ["RSET"] = Pop3Verb.Rset,
        ["QUIT"] = Pop3Verb.Quit,
        ["TOP"] = Pop3Verb.Top,
        ["UIDL"] = Pop3Verb.Uidl,
    };

    /// <summary>How many arguments each command takes: (minimum, maximum).</summary>
    private static readonly Dictionary<Pop3Verb, (int Min, int Max)> Arity = new()
    {
        [Pop3Verb.User] = (1, 1),
        [Pop3Verb.Pass] = (1, 1),
        [Pop3Verb.Auth] = (0, 2),
        [Pop3Verb.Stls] = (0, 0),
        [Pop3Verb.Capa] = (0, 0),
        [Pop3Verb.Stat] = (0, 0),
        [Pop3Verb.List] = (0, 1),
        [Pop3Verb.Retr] = (1, 1),
        [Pop3Verb.Dele] = (1, 1),
        [Pop3Verb.Noop] = (0, 0),
        [Pop3Verb.Rset] = (0, 0),
        [Pop3Verb.Quit] = (0, 0),
        [Pop3Verb.Top] = (2, 2),
        [Pop3Verb.Uidl] = (0, 1),
    };

    /// <summary>
    /// Takes one command line (ending in CRLF, or a tolerated bare LF) off <paramref name="reader"/>. On
    /// <see cref="Pop3ParseStatus.NeedMoreData"/> the reader is left where it was.
    /// </summary>
    public static Pop3ParseStatus TryParse(ref SequenceReader<byte> reader, out Pop3Command? command, out Pop3Reply? error)
    {
        command = null;
        error = null;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> raw, (byte)'\n'))
        {
            return Pop3ParseStatus.NeedMoreData;
        }

        var line = raw.Length > 0 && raw.Slice(raw.Length - 1).FirstSpan[0] == (byte)'\r' ? raw.Slice(0, raw.Length - 1) : raw;
        return Parse(line.IsSingleSegment ? line.FirstSpan : line.ToArray(), out command, out error);
    }

    /// <summary>Parses one line without its line ending.</summary>
    public static Pop3ParseStatus Parse(ReadOnlySpan<byte> line, out Pop3Command? command, out Pop3Reply? error)
    {
        command = null;
        error = null;
        foreach (var b in line)
        {
            if (b is 0 or (byte)'\r' or (byte)'\n')
            {
                error = Pop3Replies.SyntaxError;
                return Pop3ParseStatus.Invalid;
            }
        }

        var text = Encoding.UTF8.GetString(line);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var keyword = space < 0 ? text : text[..space];
        if (!Keywords.TryGetValue(keyword, out var verb))
        {
            error = Pop3Replies.UnknownCommand;
            return Pop3ParseStatus.Invalid;
        }

        var rest = space < 0 ? "" : text[(space + 1)..];
        IReadOnlyList<string> arguments;
        if (verb == Pop3Verb.Pass)
        {
            // RFC 1939 §7: the password may contain spaces; everything after "PASS " is the argument.
            arguments = rest.Length == 0 ? [] : [rest];
        }
        else
        {
            arguments = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (verb != Pop3Verb.Auth && arguments.Any(a => a.Length > MaxArgumentLength))
            {
                error = Pop3Replies.SyntaxError;
                return Pop3ParseStatus.Invalid;
            }
        }

        var (min, max) = Arity[verb];
        if (arguments.Count < min || arguments.Count > max)
        {
            error = Pop3Replies.SyntaxError;
            return Pop3ParseStatus.Invalid;
        }

        command = new Pop3Command(verb, arguments);
        return Pop3ParseStatus.Complete;
    }

    /// <summary>A message number argument: a positive decimal number (RFC 1939 §5), else null.</summary>
    public static int? MessageNumber(string argument)
    {
        if (argument.Length is 0 or > 9 || !argument.All(char.IsAsciiDigit))
        {
            return null;
        }

        var value = int.Parse(argument, System.Globalization.CultureInfo.InvariantCulture);
        return value > 0 ? value : null;
    }

    /// <summary>TOP's line count: a non-negative decimal number, else null.</summary>
    public static long? LineCount(string argument) =>
        argument.Length is > 0 and <= 18 && argument.All(char.IsAsciiDigit) ? long.Parse(argument, System.Globalization.CultureInfo.InvariantCulture) : null;
}
