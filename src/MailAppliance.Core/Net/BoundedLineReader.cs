using System.Buffers;

namespace MailAppliance.Core.Net;

/// <summary>
/// Reads CRLF-terminated lines out of a buffer with a hard length limit (sans-I/O: it never touches a stream).
/// The limit is checked before more data is asked for, so a caller that advances its pipe to
/// <c>buffer.Start</c>/<c>buffer.End</c> never holds more than <see cref="MaxLineLength"/> octets of one line.
/// </summary>
/// <remarks>
/// <para>The limit counts the line ending, as RFC 5321 §4.5.3.1.4 does ("512 octets maximum including the
/// command word and the &lt;CRLF&gt;"); callers pass their protocol's figure.</para>
/// <para>One instance per connection: after <see cref="LineReadResult.TooLong"/> the instance remembers that it is
/// discarding the rest of that line.</para>
/// </remarks>
public sealed class BoundedLineReader
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    /// <param name="maxLineLength">The most octets a line may have, its CRLF (or LF) included; at least 3.</param>
    /// <param name="requireCrlf">
    /// When true only CRLF ends a line and a bare LF is part of the line's content. When false (the default, for
    /// command lines) a bare LF also ends a line: RFC 5321 §2.3.8 forbids bare LF, but tolerating it in commands
    /// costs nothing and helps broken clients.
    /// </param>
    public BoundedLineReader(int maxLineLength, bool requireCrlf = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineLength, 3);
        MaxLineLength = maxLineLength;
        RequireCrlf = requireCrlf;
    }

    public int MaxLineLength { get; }

    public bool RequireCrlf { get; }

    /// <summary>True after <see cref="LineReadResult.TooLong"/> until the LF that ends the long line was consumed.</summary>
    public bool IsDiscarding { get; private set; }

    /// <summary>
    /// Takes one line off the front of <paramref name="buffer"/>. On <see cref="LineReadResult.Complete"/>,
    /// <paramref name="line"/> is the line without its ending and <paramref name="buffer"/> starts after it; on
    /// the other results <paramref name="line"/> is empty and <paramref name="buffer"/> starts at the first octet
    /// that still has to be kept (everything before it was consumed or discarded).
    /// </summary>
    public LineReadResult TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        line = default;
        if (IsDiscarding)
        {
            var end = buffer.PositionOf(Lf);
            if (end is null)
            {
                buffer = buffer.Slice(buffer.End);
                return LineReadResult.NeedMoreData;
            }

            buffer = buffer.Slice(buffer.GetPosition(1, end.Value));
            IsDiscarding = false;
        }

        // Only the first MaxLineLength octets can hold the end of an acceptable line: look no further.
        var window = buffer.Length > MaxLineLength ? buffer.Slice(0, MaxLineLength) : buffer;
        var reader = new SequenceReader<byte>(window);
        while (reader.TryReadTo(out ReadOnlySequence<byte> sinceLastLf, Lf, advancePastDelimiter: true))
        {
            var hasCr = sinceLastLf.Length > 0 && EndsWithCr(sinceLastLf);
            if (!hasCr && RequireCrlf)
            {
                continue; // A bare LF is content here; keep looking for CRLF within the window.
            }

            line = buffer.Slice(0, reader.Consumed - (hasCr ? 2 : 1));
            buffer = buffer.Slice(reader.Position);
            return LineReadResult.Complete;
        }

        if (buffer.Length < MaxLineLength)
        {
            return LineReadResult.NeedMoreData;
        }

        // The line cannot end within the limit: drop what we have and the rest of the line as it arrives.
        IsDiscarding = true;
        buffer = buffer.Slice(window.End);
        return LineReadResult.TooLong;
    }

    /// <summary>Forgets a line being discarded (for example when the session hands the connection to a new reader).</summary>
    public void Reset() => IsDiscarding = false;

    private static bool EndsWithCr(in ReadOnlySequence<byte> content)
    {
        if (content.IsSingleSegment)
        {
            return content.FirstSpan[^1] == Cr;
        }

        return content.Slice(content.Length - 1).FirstSpan[0] == Cr;
    }
}
