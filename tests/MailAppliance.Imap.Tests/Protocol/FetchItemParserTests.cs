using MailAppliance.Imap.Protocol;

namespace MailAppliance.Imap.Tests.Protocol;

public class FetchItemParserTests
{
    private static List<FetchItem> Parse(string items)
    {
        var arguments = ProtocolInput.Arguments("FETCH", "1 " + items);
        Assert.True(FetchItemParser.TryParse(arguments[1], out var parsed, out var error), error);
        return parsed;
    }

    [Theory]
    [InlineData("ALL", new[] { FetchKind.Flags, FetchKind.InternalDate, FetchKind.Rfc822Size, FetchKind.Envelope })]
    [InlineData("FAST", new[] { FetchKind.Flags, FetchKind.InternalDate, FetchKind.Rfc822Size })]
    [InlineData("FULL", new[] { FetchKind.Flags, FetchKind.InternalDate, FetchKind.Rfc822Size, FetchKind.Envelope, FetchKind.Body })]
    [InlineData("(uid flags modseq)", new[] { FetchKind.Uid, FetchKind.Flags, FetchKind.ModSeq })]
    [InlineData("BODYSTRUCTURE", new[] { FetchKind.BodyStructure })]
    [InlineData("(BODY ENVELOPE)", new[] { FetchKind.Body, FetchKind.Envelope })]
    public void Macros_and_simple_items(string text, FetchKind[] kinds) => Assert.Equal(kinds, Parse(text).Select(i => i.Kind));

    [Theory]
    [InlineData("BODY[]", "BODY[]", false)]
    [InlineData("BODY.PEEK[]", "BODY[]", true)]
    [InlineData("body.peek[header]", "BODY[HEADER]", true)]
    [InlineData("BODY[1.2.MIME]", "BODY[1.2.MIME]", false)]
    [InlineData("BODY.PEEK[TEXT]<0.100>", "BODY[TEXT]<0>", true)]
    [InlineData("BODY[]<5.10>", "BODY[]<5>", false)]
    public void Sections_are_labelled_as_the_response_names_them(string text, string label, bool peek)
    {
        var item = Assert.Single(Parse(text));
        Assert.Equal(FetchKind.Section, item.Kind);
        Assert.Equal(label, item.Label, ignoreCase: true);
        Assert.Equal(peek, item.Peek);
        Assert.Equal(!peek, item.SetsSeen);
    }

    [Fact]
    public void Partial_origin_and_length()
    {
        var item = Assert.Single(Parse("BODY.PEEK[]<5.10>"));
        Assert.Equal(5, item.PartialStart);
        Assert.Equal(10, item.PartialLength);
    }

    [Fact]
    public void Header_fields_keep_their_names()
    {
        var item = Assert.Single(Parse("(BODY.PEEK[HEADER.FIELDS (From Subject)])"));
        Assert.Equal(["FROM", "SUBJECT"], item.Section!.Fields.Select(f => f.ToUpperInvariant()));
        Assert.Equal(MailAppliance.Mime.SectionText.HeaderFields, item.Section.Text);
        var not = Assert.Single(Parse("BODY[HEADER.FIELDS.NOT (X-A)]"));
        Assert.Equal(MailAppliance.Mime.SectionText.HeaderFieldsNot, not.Section!.Text);
    }

    [Fact]
    public void Rfc822_items_are_sections()
    {
        var items = Parse("(RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE)");
        Assert.Equal(["RFC822", "RFC822.HEADER", "RFC822.TEXT", "RFC822.SIZE"], items.Select(i => i.Label));
        Assert.True(items[0].SetsSeen);
        Assert.False(items[1].SetsSeen);
        Assert.True(items[2].SetsSeen);
    }

    [Fact]
    public void Binary_items()
    {
        var items = Parse("(BINARY[1] BINARY.PEEK[2]<0.4> BINARY.SIZE[3])");
        Assert.Equal([FetchKind.Binary, FetchKind.Binary, FetchKind.BinarySize], items.Select(i => i.Kind));
        Assert.Equal([1], items[0].Parts);
        Assert.True(items[1].Peek);
        Assert.Equal("BINARY.SIZE[3]", items[2].Label);
    }

    [Theory]
    [InlineData("X-UNKNOWN")]
    [InlineData("()")]
    [InlineData("BODY[FOO]")]
    [InlineData("BODY[HEADER.FIELDS]")]
    [InlineData("BODY[]<5>")]
    [InlineData("BODY[]<a.b>")]
    [InlineData("BODY[0]")]
    [InlineData("BINARY[TEXT]")]
    [InlineData("(FLAGS \"UID\")")]
    public void Invalid(string text)
    {
        var arguments = ProtocolInput.Arguments("FETCH", "1 " + text);
        Assert.False(FetchItemParser.TryParse(arguments[1], out _, out var error));
        Assert.NotEmpty(error);
    }
}
