using FsCheck;
using FsCheck.Fluent;
using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Imap.Tests.Protocol;

public class SearchParserTests
{
    private static SearchRequest Parse(string criteria)
    {
        Assert.True(SearchParser.TryParse(ProtocolInput.Arguments("SEARCH", criteria), out var request, out var error), error);
        return request!;
    }

    private static SearchKey Single(string criteria)
    {
        var program = Parse(criteria).Program;
        return program.Kind == SearchKind.And && program.Children.Count == 1 ? program.Children[0] : program;
    }

    [Theory]
    [InlineData("ALL", SearchKind.All)]
    [InlineData("SEEN", SearchKind.Flag)]
    [InlineData("UNSEEN", SearchKind.NotFlag)]
    [InlineData("KEYWORD $Label", SearchKind.Keyword)]
    [InlineData("UNKEYWORD $Label", SearchKind.NotKeyword)]
    [InlineData("BEFORE 1-Feb-2020", SearchKind.Before)]
    [InlineData("ON 01-Feb-2020", SearchKind.On)]
    [InlineData("SINCE 1-Feb-2020", SearchKind.Since)]
    [InlineData("SENTBEFORE 1-Feb-2020", SearchKind.SentBefore)]
    [InlineData("SENTON 1-Feb-2020", SearchKind.SentOn)]
    [InlineData("SENTSINCE 1-Feb-2020", SearchKind.SentSince)]
    [InlineData("LARGER 10", SearchKind.Larger)]
    [InlineData("SMALLER 10", SearchKind.Smaller)]
    [InlineData("HEADER X-A b", SearchKind.Header)]
    [InlineData("FROM alice", SearchKind.Header)]
    [InlineData("BODY x", SearchKind.Body)]
    [InlineData("TEXT x", SearchKind.Text)]
    [InlineData("UID 1:5", SearchKind.Uid)]
    [InlineData("1:5", SearchKind.Sequence)]
    [InlineData("NOT SEEN", SearchKind.Not)]
    [InlineData("OR SEEN DRAFT", SearchKind.Or)]
    [InlineData("MODSEQ 5", SearchKind.ModSeq)]
    public void Each_key(string criteria, SearchKind kind) => Assert.Equal(kind, Single(criteria).Kind);

    [Fact]
    public void Flags_and_fields()
    {
        Assert.Equal(MaildirFlags.Seen, Single("SEEN").Flag);
        Assert.Equal(MaildirFlags.Trashed, Single("DELETED").Flag);
        Assert.Equal(MaildirFlags.Replied, Single("UNANSWERED").Flag);
        var from = Single("FROM \"Alice Example\"");
        Assert.Equal("FROM", from.Field.ToUpperInvariant());
        Assert.Equal("Alice Example", from.Text);
        Assert.Equal(new DateOnly(2020, 2, 1), Single("BEFORE 1-Feb-2020").Date);
        Assert.Equal(10, Single("LARGER 10").Number);
    }

    [Fact]
    public void Several_keys_are_anded_and_parentheses_nest()
    {
        var program = Parse("SEEN (OR FLAGGED (NOT DRAFT)) FROM x").Program;
        Assert.Equal(SearchKind.And, program.Kind);
        Assert.Equal(3, program.Children.Count);
        Assert.Contains(program.Descendants(), k => k.Kind == SearchKind.Not);
    }

    [Fact]
    public void Return_options_and_charset()
    {
        var request = Parse("RETURN (MIN MAX COUNT) CHARSET UTF-8 ALL");
        Assert.True(request.Extended);
        Assert.Equal(new SearchReturn(true, true, false, true, false, false, null), request.Return);
        Assert.Equal("UTF-8", request.Charset);
        var plain = Parse("ALL");
        Assert.False(plain.Extended);
        Assert.Null(plain.Charset);
        Assert.True(Parse("RETURN () ALL").Extended);
        Assert.True(Parse("RETURN () ALL").Return.IsEmpty);
    }

    [Theory]
    [InlineData("RETURN (SAVE) ALL", "SAVE")]
    [InlineData("RETURN (UPDATE COUNT) SEEN", "UPDATE COUNT")]
    [InlineData("RETURN (PARTIAL 4:2) ALL", "PARTIAL 2:4")]
    [InlineData("RETURN (CONTEXT ALL) ALL", "ALL")]
    public void Searchres_and_context_return_options(string text, string expected)
    {
        var r = Parse(text).Return;
        var words = new List<string>();
        if (r.Save) { words.Add("SAVE"); }
        if (r.Update) { words.Add("UPDATE"); }
        if (r.All) { words.Add("ALL"); }
        if (r.Count) { words.Add("COUNT"); }
        if (r.Partial is { } p) { words.Add($"PARTIAL {p.Low}:{p.High}"); }
        Assert.Equal(expected, string.Join(' ', words));
    }

    [Theory]
    [InlineData("RETURN (PARTIAL 1) ALL")]
    [InlineData("RETURN (PARTIAL 1:*) ALL")]
    [InlineData("RETURN (PARTIAL *:1) ALL")]
    [InlineData("RETURN (PARTIAL 0:3) ALL")]
    public void A_bad_partial_range_is_refused(string text) => Assert.False(SearchParser.TryParse(ImapCommandParser.ParseValues(text, out _)!, out _, out _));

    [Fact]
    public void Within_searchres_and_recent_keys()
    {
        Assert.Equal(SearchKind.Older, Parse("OLDER 3600").Program.Kind);
        Assert.Equal(3600, Parse("YOUNGER 3600").Program.Number);
        Assert.Equal(SearchKind.Saved, Parse("$").Program.Kind);
        Assert.Equal(SearchKind.Saved, Parse("UID $").Program.Kind);
        Assert.Equal(SearchKind.Recent, Parse("RECENT").Program.Kind);
        Assert.Equal(SearchKind.Not, Parse("OLD").Program.Kind);
        Assert.True(Parse("HEADER Subject x").Program.ViaHeader);
        Assert.False(Parse("SUBJECT x").Program.ViaHeader);
    }

    [Theory]
    [InlineData("")]
    [InlineData("X-NOSUCH")]
    [InlineData("BEFORE yesterday")]
    [InlineData("BEFORE 32-Jan-2020")]
    [InlineData("ON 1-Foo-2020")]
    [InlineData("LARGER -1")]
    [InlineData("LARGER")]
    [InlineData("OR SEEN")]
    [InlineData("NOT")]
    [InlineData("HEADER X-A")]
    [InlineData("UID x")]
    [InlineData("RETURN (BOGUS) ALL")]
    [InlineData("RETURN ALL")]
    [InlineData("CHARSET")]
    [InlineData("()")]
    public void Invalid(string criteria)
    {
        var arguments = criteria.Length == 0 ? [] : ProtocolInput.Arguments("SEARCH", criteria);
        Assert.False(SearchParser.TryParse(arguments, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Deep_nesting_is_refused_not_overflowed()
    {
        var deep = string.Concat(Enumerable.Repeat("NOT ", 5000)) + "SEEN";
        Assert.False(SearchParser.TryParse(ProtocolInput.Arguments("SEARCH", deep), out _, out _));
    }

    [Theory]
    [InlineData("1-Feb-2020", 2020, 2, 1)]
    [InlineData("01-feb-2020", 2020, 2, 1)]
    [InlineData("31-Dec-1999", 1999, 12, 31)]
    public void Dates(string text, int year, int month, int day)
    {
        Assert.True(SearchParser.TryParseDate(text, out var date));
        Assert.Equal(new DateOnly(year, month, day), date);
    }

    [Fact]
    public void Date_time_round_trips()
    {
        Assert.True(SearchParser.TryParseDateTime("14-Jul-2020 02:44:25 -0700", out var value));
        Assert.Equal(DateTimeOffset.Parse("2020-07-14T02:44:25-07:00", System.Globalization.CultureInfo.InvariantCulture), value);
        Assert.True(SearchParser.TryParseDateTime(SearchParser.FormatDateTime(value), out var again));
        Assert.Equal(value, again);
        Assert.True(SearchParser.TryParseDateTime(" 4-Jul-2020 02:44:25 +0000", out _));
        Assert.False(SearchParser.TryParseDateTime("14-Jul-2020 25:44:25 -0700", out _));
    }

    [Fact]
    public void Arbitrary_key_sequences_never_throw()
    {
        var words = new[] { "ALL", "OR", "NOT", "(", ")", "SEEN", "BEFORE", "1-Jan-2020", "LARGER", "5", "HEADER", "x", "UID", "1:*", "RETURN", "(MIN)", "CHARSET", "UTF-8", "\"q\"", "MODSEQ" };
        var gen = Gen.Elements(words).ArrayOf().Select(w => string.Join(' ', w)).Where(s => s.Length > 0);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(gen.ToArbitrary(), criteria =>
        {
            var line = new TextSegment(System.Text.Encoding.UTF8.GetBytes("t SEARCH " + criteria));
            if (ImapCommandParser.TryParse([line], [], out var command, out _, out _))
            {
                _ = SearchParser.TryParse(command!.Arguments, out _, out _);
            }
        }));
    }
}
