using System.Buffers;
using System.Text;
using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Tests.Client;

public class ServerReplyParserTests
{
    /// <summary>
    /// Parses every reply in <paramref name="wire"/>, fed whole and split at every byte: both must give the same
    /// replies, and a split feed must ask for more data (never fail) before each reply is whole.
    /// </summary>
    private static List<ServerReply> ParseAll(string wire, ServerReplyParser? parser = null)
    {
        parser ??= ServerReplyParser.Default;
        var bytes = Encoding.UTF8.GetBytes(wire);
        var whole = Parse(parser, bytes, bytes.Length);
        for (var split = 1; split < bytes.Length; split++)
        {
            var pieces = Parse(parser, bytes, split);
            Assert.Equal(whole.Select(r => r.ToString()), pieces.Select(r => r.ToString()));
        }

        return whole;
    }

    private static List<ServerReply> Parse(ServerReplyParser parser, byte[] bytes, int firstPiece)
    {
        var replies = new List<ServerReply>();
        var buffered = new List<byte>();
        foreach (var piece in new[] { bytes[..firstPiece], bytes[firstPiece..] })
        {
            buffered.AddRange(piece);
            var sequence = new ReadOnlySequence<byte>(buffered.ToArray());
            while (true)
            {
                var status = parser.TryParse(ref sequence, out var reply);
                if (status == ReplyParseStatus.NeedMoreData)
                {
                    break;
                }

                Assert.Equal(ReplyParseStatus.Complete, status);
                replies.Add(reply!);
            }

            buffered = [.. sequence.ToArray()];
        }

        Assert.Empty(buffered);
        return replies;
    }

    private static ReplyParseStatus ParseOnce(string wire, ServerReplyParser? parser = null)
    {
        var sequence = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(wire));
        return (parser ?? ServerReplyParser.Default).TryParse(ref sequence, out _);
    }

    [Fact]
    public void A_single_line_reply_keeps_its_code_enhanced_code_and_text()
    {
        var reply = Assert.Single(ParseAll("550 5.1.1 <nobody@example.test>: Recipient address rejected\r\n"));
        Assert.Equal(550, reply.Code);
        Assert.Equal(new EnhancedStatusCode(5, 1, 1), reply.Enhanced);
        Assert.Equal("5.1.1 <nobody@example.test>: Recipient address rejected", Assert.Single(reply.Lines));
        Assert.Equal("<nobody@example.test>: Recipient address rejected", reply.Text);
        Assert.Equal("550 5.1.1 <nobody@example.test>: Recipient address rejected", reply.ToString());
        Assert.True(reply.IsPermanent);
    }

    [Fact]
    public void A_multi_line_reply_is_one_reply_and_its_lines_stay_verbatim()
    {
        var wire = "250-mx.example.test Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n";
        var reply = Assert.Single(ParseAll(wire));
        Assert.Equal(["mx.example.test Hello", "PIPELINING", "SIZE 10240000", "8BITMIME"], reply.Lines);
        Assert.Equal(wire.TrimEnd('\r', '\n'), reply.ToString());
        Assert.Null(reply.Enhanced);
    }

    [Fact]
    public void Multi_line_rejections_join_to_one_line_with_the_codes_once()
    {
        var reply = Assert.Single(ParseAll("550-5.7.1 Message rejected\r\n550-5.7.1 see https://example.test/why\r\n550 5.7.1 for details\r\n"));
        Assert.Equal("550 5.7.1 Message rejected see https://example.test/why for details", reply.ToSingleLine());
    }

    [Fact]
    public void Several_pipelined_replies_come_out_one_by_one_in_order()
    {
        var replies = ParseAll("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n450 4.2.0 <a@example.test>: greylisted\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
        Assert.Equal([250, 250, 450, 354], replies.Select(r => r.Code));
        Assert.Null(replies[3].Enhanced);
        Assert.Equal("4.2.0 <a@example.test>: greylisted", replies[2].Lines[0]);
    }

    [Theory]
    [InlineData("250\r\n", 250, "")]
    [InlineData("220 \r\n", 220, "")]
    [InlineData("421 4.4.2 mx.example.test Error: timeout exceeded\n", 421, "4.4.2 mx.example.test Error: timeout exceeded")]
    public void A_code_alone_a_trailing_space_and_a_bare_lf_are_accepted(string wire, int code, string text)
    {
        var reply = Assert.Single(ParseAll(wire));
        Assert.Equal(code, reply.Code);
        Assert.Equal(text, Assert.Single(reply.Lines));
    }

    [Fact]
    public void Utf8_text_is_kept_and_other_bytes_are_read_as_latin1()
    {
        Assert.Equal("2.0.0 grüße", Assert.Single(ParseAll("250 2.0.0 grüße\r\n")).Lines[0]);
        var sequence = new ReadOnlySequence<byte>([(byte)'2', (byte)'5', (byte)'0', (byte)' ', 0xE9, (byte)'\r', (byte)'\n']);
        Assert.Equal(ReplyParseStatus.Complete, ServerReplyParser.Default.TryParse(ref sequence, out var reply));
        Assert.Equal("é", reply!.Lines[0]);
    }

    [Theory]
    [InlineData("hello\r\n")]
    [InlineData("25 x\r\n")]
    [InlineData("250x\r\n")]
    [InlineData("150 starting\r\n")]
    [InlineData("260 x\r\n")]
    [InlineData("250-first\r\n251 second\r\n")]
    [InlineData("\r\n")]
    public void What_is_not_a_reply_is_invalid(string wire) => Assert.Equal(ReplyParseStatus.Invalid, ParseOnce(wire));

    [Fact]
    public void An_enhanced_code_of_another_class_than_the_reply_is_not_taken()
    {
        var reply = Assert.Single(ParseAll("250 5.1.1 odd but seen\r\n"));
        Assert.Null(reply.Enhanced);
        Assert.Equal("5.1.1 odd but seen", reply.Text);
    }

    [Fact]
    public void A_line_past_the_limit_is_invalid_before_its_end_arrives()
    {
        var parser = new ServerReplyParser(maxLineLength: 64, maxLines: 3);
        Assert.Equal(ReplyParseStatus.NeedMoreData, ParseOnce("250 " + new string('x', 58), parser));
        Assert.Equal(ReplyParseStatus.Invalid, ParseOnce("250 " + new string('x', 60), parser));
        Assert.Equal(ReplyParseStatus.Invalid, ParseOnce("250 " + new string('x', 70) + "\r\n", parser));
        Assert.Equal(ReplyParseStatus.Complete, ParseOnce("250 " + new string('x', 58) + "\r\n", parser));
    }

    [Fact]
    public void A_reply_of_too_many_lines_is_invalid()
    {
        var parser = new ServerReplyParser(maxLineLength: 64, maxLines: 3);
        Assert.Equal(ReplyParseStatus.Complete, ParseOnce("250-a\r\n250-b\r\n250 c\r\n", parser));
        Assert.Equal(ReplyParseStatus.Invalid, ParseOnce("250-a\r\n250-b\r\n250-c\r\n250 d\r\n", parser));
        Assert.Equal(ReplyParseStatus.Invalid, ParseOnce("250-a\r\n250-b\r\n250-c\r\n", parser));
    }

    [Fact]
    public void An_incomplete_reply_leaves_the_reader_where_it_was()
    {
        var bytes = Encoding.ASCII.GetBytes("250-a\r\n250-b\r\n");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.Equal(ReplyParseStatus.NeedMoreData, ServerReplyParser.Default.TryParse(ref reader, out _));
        Assert.Equal(0, reader.Consumed);
    }

    [Theory]
    [InlineData("2.0.0", 2, 0, 0)]
    [InlineData("5.1.10", 5, 1, 10)]
    [InlineData("4.7.999", 4, 7, 999)]
    public void Enhanced_codes_parse(string text, int @class, int subject, int detail)
    {
        Assert.True(EnhancedStatusCode.TryParse(text, out var code));
        Assert.Equal(new EnhancedStatusCode(@class, subject, detail), code);
        Assert.Equal(text, code.ToString());
    }

    [Theory]
    [InlineData("3.0.0")]
    [InlineData("5.01.1")]
    [InlineData("5.1")]
    [InlineData("5.1.1000")]
    [InlineData("5..1")]
    [InlineData("5.1.1.")]
    public void Malformed_enhanced_codes_do_not_parse(string text) => Assert.False(EnhancedStatusCode.TryParse(text, out _));
}
