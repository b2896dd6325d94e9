using System.Buffers;
using System.Text;
using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Tests.Protocol;

public class DataDecoderTests
{
    /// <summary>Decodes <paramref name="wire"/> fed in pieces of every size from 1 up, checking each gives the same.</summary>
    private static (string Content, int Consumed, bool Complete) Decode(string wire)
    {
        var bytes = Encoding.Latin1.GetBytes(wire);
        (string, int, bool)? first = null;
        foreach (var chunk in new[] { bytes.Length == 0 ? 1 : bytes.Length, 1, 2, 3, 5, 7 })
        {
            var decoder = new DataDecoder();
            var output = new ArrayBufferWriter<byte>();
            var consumed = 0;
            while (consumed < bytes.Length && !decoder.IsComplete)
            {
                var piece = bytes.AsSpan(consumed, Math.Min(chunk, bytes.Length - consumed));
                consumed += decoder.Decode(piece, output);
            }

            var result = (Encoding.Latin1.GetString(output.WrittenSpan), consumed, decoder.IsComplete);
            Assert.Equal(output.WrittenCount, decoder.ContentLength);
            first ??= result;
            Assert.Equal(first, result);
        }

        return first!.Value;
    }

    [Fact]
    public void Crlf_dot_crlf_ends_the_data_and_what_follows_is_the_next_command()
    {
        var (content, consumed, complete) = Decode("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        Assert.True(complete);
        Assert.Equal("Subject: x\r\n\r\nbody\r\n", content);
        Assert.Equal("Subject: x\r\n\r\nbody\r\n.\r\n".Length, consumed);
    }

    [Fact]
    public void An_empty_message_is_just_the_end_marker()
    {
        var (content, _, complete) = Decode(".\r\n");
        Assert.True(complete);
        Assert.Equal("", content);
    }

    [Theory]
    [InlineData("..hidden\r\n.\r\n", ".hidden\r\n")]
    [InlineData("a\r\n..\r\n.\r\n", "a\r\n.\r\n")]
    [InlineData("a\r\n.x\r\n.\r\n", "a\r\nx\r\n")]
    [InlineData("a\r\n...\r\n.\r\n", "a\r\n..\r\n")]
    public void Leading_dots_are_unstuffed(string wire, string content)
    {
        var result = Decode(wire);
        Assert.True(result.Complete);
        Assert.Equal(content, result.Content);
    }

    [Theory]
    [InlineData("a\n.\nMAIL FROM:<x@evil.example>\r\n")]
    [InlineData("a\r\n.\nMAIL FROM:<x@evil.example>\r\n")]
    [InlineData("a\n.\r\nMAIL FROM:<x@evil.example>\r\n")]
    [InlineData("a\r.\r\nMAIL FROM:<x@evil.example>\r\n")]
    [InlineData("a\r\n.\rMAIL FROM:<x@evil.example>\r\n")]
    public void Smuggling_end_markers_are_data_not_the_end(string wire)
    {
        var (content, consumed, complete) = Decode(wire);
        Assert.False(complete);
        Assert.Equal(Encoding.Latin1.GetByteCount(wire), consumed);
        Assert.Contains("MAIL FROM:<x@evil.example>", content, StringComparison.Ordinal);
    }

    [Fact]
    public void Bare_line_feeds_are_kept_and_noticed()
    {
        var decoder = new DataDecoder();
        var output = new ArrayBufferWriter<byte>();
        decoder.Decode("one\ntwo\r\n.\r\n"u8, output);
        Assert.True(decoder.IsComplete);
        Assert.True(decoder.SawBareLineFeed);
        Assert.Equal("one\ntwo\r\n", Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Without_an_output_it_only_counts_so_oversize_data_is_read_to_its_end()
    {
        var decoder = new DataDecoder();
        var consumed = decoder.Decode(Encoding.ASCII.GetBytes(new string('x', 5000) + "\r\n.\r\n"), output: null);
        Assert.True(decoder.IsComplete);
        Assert.Equal(5002, decoder.ContentLength);
        Assert.Equal(5005, consumed);
    }

    [Fact]
    public void Binary_bytes_pass_unchanged()
    {
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).Where(b => b is not (byte)'\r' and not (byte)'\n').ToArray();
        var wire = payload.Concat("\r\n.\r\n"u8.ToArray()).ToArray();
        var decoder = new DataDecoder();
        var output = new ArrayBufferWriter<byte>();
        decoder.Decode(wire, output);
        Assert.True(decoder.IsComplete);
        Assert.Equal(payload.Concat("\r\n"u8.ToArray()), output.WrittenSpan.ToArray());
    }
}
