namespace MailAppliance.Mime.Tests.Headers;

/// <summary>RFC 5322 §3.4 address lists, obsolete forms and the broken forms of real mail.</summary>
public sealed class AddressTests
{
    [Fact]
    public void Display_names_quoted_and_encoded()
    {
        var list = AddressParser.ParseMailboxes("\"Joe \\\"Q\\\" Public\" <joe@x.org>, =?iso-8859-1?q?J=F6rg?= <j@y.de>");
        Assert.Equal(new MailboxAddress("Joe \"Q\" Public", null, "joe", "x.org"), list[0]);
        Assert.Equal("=?iso-8859-1?q?J=F6rg?=", list[1].DisplayName);
        Assert.Equal("Jörg", list[1].DecodedDisplayName);
    }

    [Fact]
    public void Groups_including_empty_ones()
    {
        var list = AddressParser.ParseList("team: a@b.c, \"x y\" <d@e.f>;, undisclosed-recipients:;");
        var team = Assert.IsType<GroupAddress>(list[0]);
        Assert.Equal("team", team.Name);
        Assert.Equal(2, team.Members.Count);
        var empty = Assert.IsType<GroupAddress>(list[1]);
        Assert.Empty(empty.Members);
    }

    [Fact]
    public void Comments_supply_a_missing_name()
    {
        var list = AddressParser.ParseMailboxes("Mary Smith <mary@x.test> (comment), jdoe@one.test (John Doe)");
        Assert.Equal("Mary Smith", list[0].DisplayName);
        Assert.Equal("John Doe", list[1].DisplayName);
    }

    [Fact]
    public void Quoted_local_part_and_domain_literal()
    {
        var list = AddressParser.ParseMailboxes("\"john doe\"@x.org, user@[192.0.2.1]");
        Assert.Equal("john doe", list[0].LocalPart);
        Assert.Equal("[192.0.2.1]", list[1].Domain);
    }

    [Fact]
    public void Obsolete_route_is_kept_apart()
    {
        var m = AddressParser.ParseMailboxes("<@a.example,@b.example:joe@c.example>")[0];
        Assert.Equal("@a.example,@b.example", m.Route);
        Assert.Equal("joe", m.LocalPart);
        Assert.Equal("c.example", m.Domain);
    }

    [Fact]
    public void Obsolete_spacing_around_dots()
    {
        var m = AddressParser.ParseMailboxes("John . Q . Public <john . q . public @ example . com>")[0];
        Assert.Equal("john.q.public", m.LocalPart);
        Assert.Equal("example.com", m.Domain);
    }

    [Theory]
    [InlineData("broken", "broken", null)]
    [InlineData("joe@", "joe", null)]
    [InlineData("<joe@x.org", "joe", "x.org")]
    [InlineData("Joe <joe@x.org> trailing garbage", "joe", "x.org")]
    [InlineData("<>", "", null)]
    public void Broken_forms_yield_best_effort_mailboxes(string value, string local, string? domain)
    {
        var m = AddressParser.ParseMailboxes(value)[0];
        Assert.Equal(local, m.LocalPart);
        Assert.Equal(domain, m.Domain);
    }

    [Theory]
    [InlineData("")]
    [InlineData(",,,")]
    [InlineData(";")]
    [InlineData("\"unterminated")]
    [InlineData("(unterminated comment")]
    [InlineData("<<<>>>@@@:::;;;")]
    public void Garbage_never_throws(string value) => _ = AddressParser.ParseList(value);
}
