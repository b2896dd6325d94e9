using System.Buffers;
using System.Text;

namespace MailAppliance.Smtp.Protocol;

public enum ReplyParseStatus
{
    /// <summary>A whole reply was taken off the reader.</summary>
    Complete,

    /// <summary>The reply is not complete yet; the reader was not advanced.</summary>
    NeedMoreData,

    /// <summary>The bytes are not an SMTP reply, or one beyond the limits; the connection cannot go on.</summary>
    Invalid,
}

/// <summary>
/// Parses replies of a remote SMTP server (RFC 5321 §4.2), sans-I/O: the caller feeds what arrived and gets a whole
/// reply or a request for more. Limits are checked before text is interpreted: a line longer than
/// <see cref="MaxLineLength"/> or a reply of more than <see cref="MaxLines"/> lines is invalid, however it goes on.
/// </summary>
/// <remarks>
/// RFC 5321 §4.2: <c>Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF</c>, every
/// line with the same code. A bare LF is taken as a line end (RFC 5321 §2.3.8 forbids it, but refusing a whole
/// delivery over a broken line end in a reply helps nobody); text that is not UTF-8 is read as Latin-1.
/// </remarks>
public sealed class ServerReplyParser
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="maxLineLength">
    /// Octets per line, CRLF included. RFC 5321 §4.5.3.1.5 says 512, but real servers send longer lines (Postfix
    /// accepts up to its line_length_limit of 2048), so the default is 2048.
    /// </param>
    /// <param name="maxLines">Lines per reply: EHLO replies of real servers have 10 to 20.</param>
    public ServerReplyParser(int maxLineLength = 2048, int maxLines = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineLength, 5);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLines, 1);
        MaxLineLength = maxLineLength;
        MaxLines = maxLines;
    }

    public static ServerReplyParser Default { get; } = new();

    public int MaxLineLength { get; }

    public int MaxLines { get; }

    /// <summary>
    /// Takes one reply off <paramref name="reader"/>. On <see cref="ReplyParseStatus.Complete"/> the reader stands
    /// after the reply; otherwise it is where it was.
    /// </summary>
    public ReplyParseStatus TryParse(ref SequenceReader<byte> reader, out ServerReply? reply)
    {
        reply = null;
        var consumedAtStart = reader.Consumed;
        var code = -1;
        var lines = new List<string>();
        while (true)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n', advancePastDelimiter: true))
            {
                var pending = reader.Remaining;
                reader.Rewind(reader.Consumed - consumedAtStart);
                return pending >= MaxLineLength ? ReplyParseStatus.Invalid : ReplyParseStatus.NeedMoreData;
            }

            if (line.Length + 1 > MaxLineLength)
            {
                reader.Rewind(reader.Consumed - consumedAtStart);
                return ReplyParseStatus.Invalid;
            }

            var bytes = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
            if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
            {
                bytes = bytes[..^1];
            }

            if (!TryLine(bytes, out var lineCode, out var last, out var text) || (code >= 0 && lineCode != code))
            {
                reader.Rewind(reader.Consumed - consumedAtStart);
                return ReplyParseStatus.Invalid;
            }

            code = lineCode;
            lines.Add(text);
            if (last)
            {
                break;
            }

            if (lines.Count == MaxLines)
            {
                reader.Rewind(reader.Consumed - consumedAtStart);
                return ReplyParseStatus.Invalid; // a continuation line says more lines follow: too many
            }
        }

        EnhancedStatusCode? enhanced = null;
        if (EnhancedStatusCode.TryParsePrefix(lines[0], out var parsed) > 0 && parsed.Class == code / 100)
        {
            enhanced = parsed;
        }

        reply = new ServerReply(code, enhanced, lines);
        return ReplyParseStatus.Complete;
    }

    /// <summary>Convenience for a buffer: parses one reply from <paramref name="buffer"/> and slices it off.</summary>
    public ReplyParseStatus TryParse(ref ReadOnlySequence<byte> buffer, out ServerReply? reply)
    {
        var reader = new SequenceReader<byte>(buffer);
        var status = TryParse(ref reader, out reply);
        if (status == ReplyParseStatus.Complete)
        {
            buffer = buffer.Slice(reader.Position);
        }

        return status;
    }

    private static bool TryLine(ReadOnlySpan<byte> line, out int code, out bool last, out string text)
    {
        code = 0;
        last = true;
        text = "";

        // RFC 5321 §4.2: the first digit is 2-5, the second 0-5 (§4.2.1 lists the categories), the third any digit.
        if (line.Length < 3 || line[0] is < (byte)'2' or > (byte)'5' || line[1] is < (byte)'0' or > (byte)'5' || line[2] is < (byte)'0' or > (byte)'9')
        {
            return false;
        }

        code = ((line[0] - '0') * 100) + ((line[1] - '0') * 10) + (line[2] - '0');
        if (line.Length == 3)
        {
            return true; // "Reply-code CRLF": the last line, without text
        }

        if (line[3] is not ((byte)' ' or (byte)'-'))
        {
            return false;
        }

        last = line[3] == (byte)' ';
        text = Decode(line[4..]);
        return true;
    }

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }
}
