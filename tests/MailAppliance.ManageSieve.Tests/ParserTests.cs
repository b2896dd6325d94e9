using System.Buffers;
using System.Text;
using MailAppliance.ManageSieve.Protocol;

namespace MailAppliance.ManageSieve.Tests;

public sealed class ParserTests
{
    private static (ManageSieveParseStatus Status, ManageSieveCommand? Command, string? Error, long Skip, long Consumed) Parse(string text, int maxLine = 1024, long maxLiteral = 100)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)));
        var status = new ManageSieveParser(maxLine, maxLiteral).TryParse(ref reader, out var command, out var error, out var skip);
        return (status, command, error, skip, reader.Consumed);
    }

    [Fact]
    public void A_command_with_quoted_strings_and_escapes()
    {
        var r = Parse("putscript \"my \\\"script\\\"\" \"keep;\"\r\n");
        Assert.Equal(ManageSieveParseStatus.Complete, r.Status);
        Assert.Equal("PUTSCRIPT", r.Command!.Name);
        Assert.Equal("my \"script\"", r.Command.Text(0));
        Assert.Equal("keep;", r.Command.Text(1));
    }

    [Theory]
    [InlineData("PUTSCRIPT \"a\" {5+}\r\nkeep;\r\n")]
    [InlineData("PUTSCRIPT \"a\" {5}\r\nkeep;\r\n")]
    public void Literals_synchronising_or_not_carry_their_octets(string text)
    {
        var r = Parse(text);
        Assert.Equal(ManageSieveParseStatus.Complete, r.Status);
        Assert.Equal("keep;", r.Command!.Text(1));
        Assert.Equal(text.Length, r.Consumed);
    }

    [Theory]
    [InlineData("LISTSCR")]
    [InlineData("PUTSCRIPT \"a\" {5+}\r\nke")]
    [InlineData("HAVESPACE \"a")]
    public void Incomplete_input_needs_more_data(string text) => Assert.Equal(ManageSieveParseStatus.NeedMoreData, Parse(text).Status);

    [Fact]
    public void A_line_past_the_limit_is_refused_before_it_ends()
    {
        var r = Parse("NOOP " + new string('x', 100), maxLine: 50);
        Assert.Equal(ManageSieveParseStatus.Invalid, r.Status);
        Assert.Equal("line too long", r.Error);
    }

    [Fact]
    public void A_literal_past_the_limit_is_refused_and_its_octets_are_skipped()
    {
        var r = Parse("PUTSCRIPT \"a\" {500+}\r\nkeep;", maxLiteral: 100);
        Assert.Equal(ManageSieveParseStatus.Invalid, r.Status);
        Assert.Equal(495, r.Skip);
    }

    [Fact]
    public void A_sasl_response_is_a_line_of_one_string()
    {
        var r = Parse("\"AGFsaWNlAHB3\"\r\n");
        Assert.Equal(ManageSieveParseStatus.Complete, r.Status);
        Assert.Equal("", r.Command!.Name);
        Assert.Equal("AGFsaWNlAHB3", r.Command.Text(0));
    }

    [Fact]
    public void Bad_escapes_are_refused() => Assert.Equal(ManageSieveParseStatus.Invalid, Parse("NOOP \"a\\b\"\r\n").Status);
}
