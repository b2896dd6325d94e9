namespace MailAppliance.Mime.Tests.Headers;

/// <summary>RFC 5322 §3.3 dates (with §4.3 obsolete forms) and §3.6.4 identification fields.</summary>
public sealed class DateAndIdTests
{
    [Theory]
    [InlineData("Thu, 13 Feb 1969 23:32:54 -0330", 1969, 2, 13, 23, 32, 54, -210)]
    [InlineData("13 Feb 2025 10:00 +0100", 2025, 2, 13, 10, 0, 0, 60)]
    [InlineData("Fri, 21 Nov 97 09:55:06 GMT", 1997, 11, 21, 9, 55, 6, 0)]
    [InlineData("Fri, 21 Nov 03 09:55:06 EST", 2003, 11, 21, 9, 55, 6, -300)]
    [InlineData("Mon, 1 Jan 2024 00:00:00 PDT (Pacific)", 2024, 1, 1, 0, 0, 0, -420)]
    [InlineData("Mon, 1 Jan 2024 00:00:00 Z", 2024, 1, 1, 0, 0, 0, 0)]
    [InlineData("Tue, 31 Dec 2024 23:59:60 +0000", 2024, 12, 31, 23, 59, 59, 0)]
    [InlineData("1 jan 2024 12:00:00+0200", 2024, 1, 1, 12, 0, 0, 120)]
    [InlineData("Wed, 2 Oct 102 12:00:00 +0000", 2002, 10, 2, 12, 0, 0, 0)]
    public void Parses_dates(string value, int y, int mo, int d, int h, int mi, int s, int offsetMinutes)
    {
        var parsed = DateParser.Parse(value);
        Assert.Equal(new DateTimeOffset(y, mo, d, h, mi, s, TimeSpan.FromMinutes(offsetMinutes)), parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("31 Feb 2024 10:00:00 +0000")]
    [InlineData("1 Foo 2024")]
    [InlineData("Mon, 1 Jan 2024 25:00:00 +0000")]
    public void Rejects_non_dates(string value) => Assert.Null(DateParser.Parse(value));

    [Fact]
    public void Message_ids_and_references()
    {
        Assert.Equal("abc@def", MessageIds.Parse("  <abc@def>  "));
        Assert.Equal(new[] { "a@b", "c@d", "e@f" }, MessageIds.ParseList("<a@b> (comment) <c@d>\r\n <e@f>"));
        Assert.Equal(new[] { "x@y" }, MessageIds.ParseList("Your message of today <x@y>"));
        Assert.Equal("no-brackets@host", MessageIds.Parse("no-brackets@host"));
        Assert.Empty(MessageIds.ParseList(" "));
    }
}
