using System.Text;
using MailAppliance.Imap.Protocol;

namespace MailAppliance.Imap.Tests.Protocol;

public class CommandParserTests
{
    private static ImapCommand Parse(params CommandSegment[] segments)
    {
        Assert.True(ImapCommandParser.TryParse(segments, [], out var command, out _, out var error), error);
        return command!;
    }

    private static TextSegment Text(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Tag_name_and_atoms()
    {
        var command = Parse(Text("a1 select INBOX"));
        Assert.Equal("a1", command.Tag);
        Assert.Equal("SELECT", command.Name);
        Assert.Equal("INBOX", Assert.IsType<ImapAtom>(Assert.Single(command.Arguments)).Text);
    }

    [Fact]
    public void Uid_commands_join_their_names()
    {
        var command = Parse(Text("7 uid fetch 1:* (FLAGS)"));
        Assert.Equal("UID FETCH", command.Name);
        Assert.True(command.IsUid);
        Assert.Equal(2, command.Arguments.Count);
    }

    [Fact]
    public void Fetch_sections_with_spaces_and_parentheses_stay_one_atom()
    {
        var command = Parse(Text("a FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (From To)]<0.100> FLAGS)"));
        var list = Assert.IsType<ImapList>(command.Arguments[1]);
        Assert.Equal(["UID", "BODY.PEEK[HEADER.FIELDS (From To)]<0.100>", "FLAGS"], list.Items.Select(i => i.AsText()!));
    }

    [Fact]
    public void Quoted_strings_unescape()
    {
        var command = Parse(Text("a LOGIN \"al\\\"ice\" \"p\\\\w\""));
        Assert.Equal("al\"ice", command.Arguments[0].AsText());
        Assert.Equal("p\\w", command.Arguments[1].AsText());
    }

    [Fact]
    public void Literals_are_arguments_where_they_appear()
    {
        var command = Parse(Text("a LOGIN "), new LiteralSegment(new ImapString("alice"u8.ToArray(), true)), Text(" pw"));
        Assert.Equal("alice", command.Arguments[0].AsText());
        Assert.Equal("pw", command.Arguments[1].AsText());
    }

    [Theory]
    [InlineData("a LIST \"\" {5}", 5, false)]
    [InlineData("a APPEND INBOX {123+}", 123, true)]
    [InlineData("a APPEND INBOX {12-}", 12, true)]
    public void Literal_markers_are_found_at_line_end(string line, long size, bool nonSync)
    {
        Assert.True(ImapCommandParser.TryGetLiteralMarker(Encoding.ASCII.GetBytes(line), out var marker, out var textLength));
        Assert.Equal(size, marker.Size);
        Assert.Equal(nonSync, marker.NonSynchronizing);
        Assert.Equal(line.LastIndexOf('{'), textLength);
    }

    [Theory]
    [InlineData("a SEARCH {x}")]
    [InlineData("a SEARCH {}")]
    [InlineData("a SEARCH foo")]
    public void Not_literal_markers(string line) =>
        Assert.False(ImapCommandParser.TryGetLiteralMarker(Encoding.ASCII.GetBytes(line), out _, out _));

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("a LOGIN \"unterminated")]
    [InlineData("a FETCH 1 (FLAGS")]
    [InlineData("a FETCH 1 FLAGS)")]
    [InlineData("+ NOOP")]
    public void Malformed_commands_are_refused(string text) =>
        Assert.False(ImapCommandParser.TryParse([Text(text)], [], out _, out _, out _));
}
