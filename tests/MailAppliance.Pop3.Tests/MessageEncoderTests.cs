using System.Buffers;
using System.Text;
using MailAppliance.Pop3.Protocol;

namespace MailAppliance.Pop3.Tests;

public class MessageEncoderTests
{
    private static string Encode(string message, long? top = null, int chunk = int.MaxValue)
    {
        var encoder = new MessageEncoder(top);
        var output = new ArrayBufferWriter<byte>();
        var bytes = Encoding.UTF8.GetBytes(message);
        for (var offset = 0; offset < bytes.Length && !encoder.IsFinished; offset += chunk)
        {
            encoder.Encode(bytes.AsSpan(offset, Math.Min(chunk, bytes.Length - offset)), output);
        }

        encoder.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(3)]
    public void Lines_starting_with_a_dot_are_stuffed(int chunk)
    {
        Assert.Equal(
            "Subject: x\r\n\r\n..hidden\r\n..two\r\nmid.dle\r\n..\r\n.\r\n",
            Encode("Subject: x\r\n\r\n.hidden\r\n.two\r\nmid.dle\r\n.\r\n", chunk: chunk));
    }

    [Fact]
    public void A_message_without_a_final_line_ending_gets_one()
    {
        Assert.Equal("Subject: x\r\n\r\nbody\r\n.\r\n", Encode("Subject: x\r\n\r\nbody"));
    }

    [Fact]
    public void An_empty_message_is_just_the_terminator()
    {
        Assert.Equal(".\r\n", Encode(""));
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    public void Top_sends_the_header_the_blank_line_and_n_body_lines(int chunk)
    {
        const string message = "From: a\r\nSubject: x\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n";
        Assert.Equal("From: a\r\nSubject: x\r\n\r\n.\r\n", Encode(message, 0, chunk));
        Assert.Equal("From: a\r\nSubject: x\r\n\r\nline 1\r\n..line 2\r\n.\r\n", Encode(message, 2, chunk));
        Assert.Equal("From: a\r\nSubject: x\r\n\r\nline 1\r\n..line 2\r\nline 3\r\n.\r\n", Encode(message, 99, chunk));
    }

    [Fact]
    public void Retr_stuffs_exactly_as_the_line_by_line_path_does()
    {
        // RETR copies runs between "\n." matches; TOP with no effective limit walks line by line: same bytes out.
        var random = new Random(1939);
        for (var round = 0; round < 200; round++)
        {
            var text = new StringBuilder("Subject: x\r\n\r\n");
            for (var i = random.Next(0, 400); i > 0; i--)
            {
                text.Append(random.Next(6) switch { 0 => ".", 1 => "\r\n", 2 => "\n", 3 => "..", 4 => "\r", _ => "ab" });
            }

            var chunk = random.Next(1, 50);
            Assert.Equal(Encode(text.ToString(), long.MaxValue, chunk), Encode(text.ToString(), chunk: chunk));
        }
    }
}
