using System.Buffers;
using System.Text;
using MailAppliance.Core.Net;

namespace MailAppliance.Core.Tests.Net;

public class BoundedLineReaderTests
{
    [Fact]
    public void Reads_crlf_lines_and_leaves_the_rest()
    {
        var reader = new BoundedLineReader(512);
        var buffer = Bytes("EHLO a.example\r\nMAIL FR");
        Assert.Equal(LineReadResult.Complete, reader.TryReadLine(ref buffer, out var line));
        Assert.Equal("EHLO a.example", Text(line));
        Assert.Equal(LineReadResult.NeedMoreData, reader.TryReadLine(ref buffer, out _));
        Assert.Equal("MAIL FR", Text(buffer));
    }

    [Fact]
    public void Bare_lf_ends_a_line_when_tolerant()
    {
        var reader = new BoundedLineReader(512);
        var buffer = Bytes("NOOP\nQUIT\r\n");
        Assert.Equal(["NOOP", "QUIT"], ReadAll(reader, ref buffer));
    }

    [Fact]
    public void Bare_lf_is_content_when_crlf_is_required()
    {
        var reader = new BoundedLineReader(512, requireCrlf: true);
        var buffer = Bytes("one\ntwo\r\nthree\n");
        Assert.Equal(["one\ntwo"], ReadAll(reader, ref buffer));
        Assert.Equal("three\n", Text(buffer));
    }

    [Fact]
    public void Empty_lines_are_lines()
    {
        var reader = new BoundedLineReader(512);
        var buffer = Bytes("\r\n\n");
        Assert.Equal(["", ""], ReadAll(reader, ref buffer));
    }

    [Fact]
    public void A_line_of_exactly_the_limit_is_accepted_one_more_octet_is_not()
    {
        // RFC 5321 §4.5.3.1.4: 512 octets including CRLF.
        var exact = new string('a', 510) + "\r\n";
        var reader = new BoundedLineReader(512);
        var buffer = Bytes(exact);
        Assert.Equal(LineReadResult.Complete, reader.TryReadLine(ref buffer, out var line));
        Assert.Equal(510, line.Length);

        var over = new string('a', 511) + "\r\n";
        buffer = Bytes(over);
        Assert.Equal(LineReadResult.TooLong, reader.TryReadLine(ref buffer, out _));
    }

    [Fact]
    public void Too_long_is_reported_before_the_end_of_the_line_arrives()
    {
        var reader = new BoundedLineReader(16);
        var buffer = Bytes(new string('x', 16));
        Assert.Equal(LineReadResult.TooLong, reader.TryReadLine(ref buffer, out _));
        Assert.True(buffer.IsEmpty);
        Assert.True(reader.IsDiscarding);
    }

    [Fact]
    public void Never_asks_to_keep_more_than_the_limit()
    {
        var reader = new BoundedLineReader(16);
        var buffer = Bytes(new string('x', 15));
        Assert.Equal(LineReadResult.NeedMoreData, reader.TryReadLine(ref buffer, out _));
        Assert.Equal(15, buffer.Length);
    }

    [Fact]
    public void After_too_long_the_rest_of_the_line_is_discarded_and_reading_goes_on()
    {
        var reader = new BoundedLineReader(16);
        var buffer = Bytes(new string('x', 40));
        Assert.Equal(LineReadResult.TooLong, reader.TryReadLine(ref buffer, out _));
        buffer = Bytes(new string('y', 100));
        Assert.Equal(LineReadResult.NeedMoreData, reader.TryReadLine(ref buffer, out _));
        Assert.True(buffer.IsEmpty);
        buffer = Bytes("yyy\r\nQUIT\r\n");
        Assert.Equal(LineReadResult.Complete, reader.TryReadLine(ref buffer, out var line));
        Assert.Equal("QUIT", Text(line));
        Assert.False(reader.IsDiscarding);
    }

    [Fact]
    public void A_long_line_followed_by_a_short_one_in_one_buffer()
    {
        var reader = new BoundedLineReader(8);
        var buffer = Bytes("0123456789abcdef\r\nNOOP\r\n");
        Assert.Equal(LineReadResult.TooLong, reader.TryReadLine(ref buffer, out _));
        Assert.Equal(LineReadResult.Complete, reader.TryReadLine(ref buffer, out var line));
        Assert.Equal("NOOP", Text(line));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Same_lines_whatever_the_segment_boundaries(bool requireCrlf)
    {
        const string input = "EHLO x\r\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n\r\nbare\nlf\r\nRSET\r\n";
        var expected = Feed(new BoundedLineReader(20, requireCrlf), [Encoding.ASCII.GetBytes(input)]);
        Assert.Equal(requireCrlf ? ["EHLO x", "!", "", "bare\nlf", "RSET"] : ["EHLO x", "!", "", "bare", "lf", "RSET"], expected);

        var bytes = Encoding.ASCII.GetBytes(input);
        for (var i = 0; i <= bytes.Length; i++)
        {
            // As two reads from the network, and as one buffer of two segments.
            Assert.Equal(expected, Feed(new BoundedLineReader(20, requireCrlf), [bytes[..i], bytes[i..]]));
            var split = Segmented(bytes[..i], bytes[i..]);
            Assert.Equal(expected, FeedSequence(new BoundedLineReader(20, requireCrlf), split));
        }

        for (var i = 0; i <= bytes.Length; i++)
        {
            for (var j = i; j <= bytes.Length; j++)
            {
                Assert.Equal(expected, Feed(new BoundedLineReader(20, requireCrlf), [bytes[..i], bytes[i..j], bytes[j..]]));
            }
        }
    }

    [Fact]
    public void Crlf_split_across_segments_is_one_line_ending()
    {
        var reader = new BoundedLineReader(512, requireCrlf: true);
        var buffer = Segmented("DATA\r"u8.ToArray(), "\nX"u8.ToArray());
        Assert.Equal(LineReadResult.Complete, reader.TryReadLine(ref buffer, out var line));
        Assert.Equal("DATA", Text(line));
        Assert.Equal("X", Text(buffer));
    }

    /// <summary>Simulates a pipe: keeps what the reader left, appends each chunk, reads all lines ("!" = too long).</summary>
    private static List<string> Feed(BoundedLineReader reader, byte[][] chunks)
    {
        var lines = new List<string>();
        var pending = Array.Empty<byte>();
        foreach (var chunk in chunks)
        {
            var buffer = new ReadOnlySequence<byte>([.. pending, .. chunk]);
            lines.AddRange(ReadAll(reader, ref buffer));
            Assert.True(buffer.Length < reader.MaxLineLength);
            pending = buffer.ToArray();
        }

        return lines;
    }

    private static List<string> FeedSequence(BoundedLineReader reader, ReadOnlySequence<byte> buffer) => ReadAll(reader, ref buffer);

    private static List<string> ReadAll(BoundedLineReader reader, ref ReadOnlySequence<byte> buffer)
    {
        var lines = new List<string>();
        while (true)
        {
            var result = reader.TryReadLine(ref buffer, out var line);
            if (result == LineReadResult.NeedMoreData)
            {
                return lines;
            }

            lines.Add(result == LineReadResult.TooLong ? "!" : Text(line));
        }
    }

    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.ASCII.GetBytes(text));

    private static string Text(ReadOnlySequence<byte> bytes) => Encoding.ASCII.GetString(bytes.ToArray());

    private static ReadOnlySequence<byte> Segmented(byte[] first, byte[] second)
    {
        var head = new Segment(first, 0);
        var tail = head.Append(second);
        return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
