using System.Buffers;
using System.Text;
using MailAppliance.Pop3.Protocol;

namespace MailAppliance.Pop3.Tests;

public class CommandParserTests
{
    private static (Pop3ParseStatus Status, Pop3Command? Command, Pop3Reply? Error, long Consumed) Parse(string text)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)));
        var status = Pop3CommandParser.TryParse(ref reader, out var command, out var error);
        return (status, command, error, reader.Consumed);
    }

    [Theory]
    [InlineData("STAT\r\n", Pop3Verb.Stat)]
    [InlineData("stat\r\n", Pop3Verb.Stat)]
    [InlineData("Capa\n", Pop3Verb.Capa)]
    [InlineData("LIST\r\n", Pop3Verb.List)]
    [InlineData("UIDL 3\r\n", Pop3Verb.Uidl)]
    [InlineData("TOP 1 10\r\n", Pop3Verb.Top)]
    [InlineData("STLS\r\n", Pop3Verb.Stls)]
    [InlineData("QUIT\r\n", Pop3Verb.Quit)]
    public void Known_commands_parse_case_insensitively(string line, Pop3Verb verb)
    {
        var (status, command, _, consumed) = Parse(line);
        Assert.Equal(Pop3ParseStatus.Complete, status);
        Assert.Equal(verb, command!.Verb);
        Assert.Equal(line.Length, consumed);
    }

    [Fact]
    public void Pass_keeps_spaces_in_the_password()
    {
        var (_, command, _, _) = Parse("PASS correct horse  battery\r\n");
        Assert.Equal(["correct horse  battery"], command!.Arguments);
    }

    [Fact]
    public void Auth_with_initial_response()
    {
        var (_, command, _, _) = Parse("AUTH PLAIN AGFsaWNlAHB3\r\n");
        Assert.Equal(Pop3Verb.Auth, command!.Verb);
        Assert.Equal(["PLAIN", "AGFsaWNlAHB3"], command.Arguments);
    }

    [Fact]
    public void Incomplete_line_needs_more_data_and_consumes_nothing()
    {
        var (status, _, _, consumed) = Parse("RETR 1");
        Assert.Equal(Pop3ParseStatus.NeedMoreData, status);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void Two_pipelined_commands_come_out_one_at_a_time()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>("DELE 1\r\nDELE 2\r\n"u8.ToArray()));
        Assert.Equal(Pop3ParseStatus.Complete, Pop3CommandParser.TryParse(ref reader, out var first, out _));
        Assert.Equal(Pop3ParseStatus.Complete, Pop3CommandParser.TryParse(ref reader, out var second, out _));
        Assert.Equal("1", first!.Arguments[0]);
        Assert.Equal("2", second!.Arguments[0]);
        Assert.Equal(Pop3ParseStatus.NeedMoreData, Pop3CommandParser.TryParse(ref reader, out _, out _));
    }

    [Theory]
    [InlineData("XYZZY\r\n", "-ERR Unknown command")]
    [InlineData("RETR\r\n", "-ERR Syntax error")]
    [InlineData("TOP 1\r\n", "-ERR Syntax error")]
    [InlineData("STAT 1\r\n", "-ERR Syntax error")]
    [InlineData("USER a b\r\n", "-ERR Syntax error")]
    [InlineData("\r\n", "-ERR Unknown command")]
    [InlineData("NOOP\0\r\n", "-ERR Syntax error")]
    public void Invalid_lines_are_consumed_with_an_error(string line, string reply)
    {
        var (status, command, error, consumed) = Parse(line);
        Assert.Equal(Pop3ParseStatus.Invalid, status);
        Assert.Null(command);
        Assert.Equal(reply, error!.ToString());
        Assert.Equal(line.Length, consumed);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("42", 42)]
    [InlineData("0", null)]
    [InlineData("-1", null)]
    [InlineData("1a", null)]
    [InlineData("9999999999", null)]
    public void Message_numbers(string argument, int? expected) => Assert.Equal(expected, Pop3CommandParser.MessageNumber(argument));
}
