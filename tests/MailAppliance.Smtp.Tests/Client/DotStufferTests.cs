using System.Text;
using MailAppliance.Smtp.Client;

namespace MailAppliance.Smtp.Tests.Client;

public class DotStufferTests
{
    /// <summary>Stuffs <paramref name="message"/> fed in pieces of every size; all must give the same bytes.</summary>
    private static string Stuff(string message)
    {
        var bytes = Encoding.Latin1.GetBytes(message);
        string? first = null;
        for (var piece = 1; piece <= Math.Max(1, bytes.Length); piece++)
        {
            var stuffer = new DotStuffer();
            var output = new List<byte>();
            for (var offset = 0; offset < bytes.Length; offset += piece)
            {
                var input = bytes.AsSpan(offset, Math.Min(piece, bytes.Length - offset));
                var buffer = new byte[DotStuffer.MaxOutputLength(input.Length)];
                output.AddRange(buffer.AsSpan(0, stuffer.Stuff(input, buffer)).ToArray());
            }

            var end = new byte[5];
            output.AddRange(end.AsSpan(0, stuffer.Finish(end)).ToArray());
            var text = Encoding.Latin1.GetString([.. output]);
            first ??= text;
            Assert.Equal(first, text);
        }

        return first!;
    }

    [Theory]
    [InlineData("Subject: x\r\n\r\nbody\r\n", "Subject: x\r\n\r\nbody\r\n.\r\n")]
    [InlineData(".starts with a dot\r\n", "..starts with a dot\r\n.\r\n")]
    [InlineData("a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n")]
    [InlineData("a\r\n..\r\n", "a\r\n...\r\n.\r\n")]
    [InlineData("a.b\r\n x.\r\n", "a.b\r\n x.\r\n.\r\n")]
    [InlineData("", ".\r\n")]
    public void Lines_that_start_with_a_dot_get_another_and_the_end_mark_follows(string message, string wire) =>
        Assert.Equal(wire, Stuff(message));

    [Theory]
    [InlineData("no final line end", "no final line end\r\n.\r\n")]
    [InlineData("ends with CR\r", "ends with CR\r\n.\r\n")]
    public void A_message_without_a_final_crlf_gets_one_before_the_mark(string message, string wire) =>
        Assert.Equal(wire, Stuff(message));

    [Fact]
    public void A_dot_after_a_bare_lf_is_stuffed_too_so_no_receiver_can_see_an_early_end()
    {
        Assert.Equal("a\n..\r\nb\r\n.\r\n", Stuff("a\n.\r\nb\r\n"));
    }

    [Fact]
    public void Eight_bit_and_binary_octets_pass_unchanged()
    {
        var message = "Subject: gr\u00fc\u00dfe\r\n\r\n\u00e9\u00ff\0\u0001\r\n";
        Assert.Equal(message + ".\r\n", Stuff(message));
    }
}
