using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>LIST (RFC 9051 §6.3.9), LIST-EXTENDED (RFC 5258), SPECIAL-USE (RFC 6154), LIST-STATUS (RFC 5819), CHILDREN (RFC 3348), mailbox names in modified UTF-7 and UTF8=ACCEPT (RFC 6855).</summary>
public sealed class ListTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private static async Task Create(ImapClientScript imap, params string[] names)
    {
        foreach (var name in names)
        {
            await imap.Send($"c CREATE \"{name}\"");
            await imap.Expect("c OK");
        }
    }

    private static List<string> Names(ImapReply reply) =>
        reply.All("* LIST").Select(l => l[(l.IndexOf("\"/\" ", StringComparison.Ordinal) + 4)..].Trim('"')).ToList();

    [Fact]
    public async Task Star_matches_every_level_and_percent_one()
    {
        var top = app.Fresh("tree");
        await using var imap = await app.LoginAsync();
        await Create(imap, $"{top}/a/b", $"{top}/c");
        await imap.Send($"a1 LIST \"\" \"{top}/*\"");
        Assert.Equal([$"{top}/a", $"{top}/a/b", $"{top}/c"], Names(await imap.Expect("a1 OK")).Order());
        await imap.Send($"a2 LIST \"\" \"{top}/%\"");
        var reply = await imap.Expect("a2 OK");
        Assert.Equal([$"{top}/a", $"{top}/c"], Names(reply).Order());
        Assert.Contains("\\HasChildren", reply.First(l => l.Contains($"{top}/a", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("\\HasNoChildren", reply.First(l => l.Contains($"{top}/c", StringComparison.Ordinal)), StringComparison.Ordinal);
        // The reference is prefixed to the pattern.
        await imap.Send($"a3 LIST \"{top}/\" \"%\"");
        Assert.Equal([$"{top}/a", $"{top}/c"], Names(await imap.Expect("a3 OK")).Order());
    }

    [Fact]
    public async Task Empty_pattern_returns_the_delimiter()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 LIST \"\" \"\"");
        Assert.Equal("* LIST (\\Noselect) \"/\" \"\"", Assert.Single(await imap.Expect("a1 OK")));
    }

    [Fact]
    public async Task Inbox_is_always_listed_and_matches_in_any_case()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 LIST \"\" inbox");
        Assert.Equal(["INBOX"], Names(await imap.Expect("a1 OK")));
    }

    [Fact]
    public async Task Special_use_attributes_and_selection()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a0 LIST \"\" Sent");
        if ((await imap.Expect("a0 OK")).Count == 0)
        {
            await Create(imap, "Sent");
        }

        await imap.Send("a1 LIST \"\" Sent");
        Assert.Contains("\\Sent", Assert.Single(await imap.Expect("a1 OK")), StringComparison.Ordinal);
        await imap.Send("a2 LIST (SPECIAL-USE) \"\" \"*\"");
        var reply = await imap.Expect("a2 OK");
        Assert.Contains("Sent", Names(reply));
        Assert.DoesNotContain("INBOX", Names(reply));
        Assert.All(reply.All("* LIST"), l => Assert.Matches(@"\\(Sent|Drafts|Junk|Trash|Archive|All|Flagged)", l));
    }

    [Fact]
    public async Task Extended_list_with_several_patterns_and_return_options()
    {
        var top = app.Fresh("ext");
        await using var imap = await app.LoginAsync();
        await Create(imap, $"{top}/x", $"{top}/y", $"{top}/z");
        await imap.Send($"a1 SUBSCRIBE {top}/y");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 LIST \"\" ({top}/x {top}/y) RETURN (SUBSCRIBED CHILDREN)");
        var reply = await imap.Expect("a2 OK");
        Assert.Equal([$"{top}/x", $"{top}/y"], Names(reply).Order());
        Assert.Contains("\\Subscribed", reply.First(l => l.Contains($"{top}/y", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("\\Subscribed", reply.First(l => l.Contains($"{top}/x", StringComparison.Ordinal)), StringComparison.Ordinal);
        await imap.Send($"a3 LIST (SUBSCRIBED) \"\" \"{top}/*\"");
        Assert.Equal([$"{top}/y"], Names(await imap.Expect("a3 OK")));
    }

    [Fact]
    public async Task Extended_list_errors_are_bad()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 LIST (X-UNKNOWN) \"\" \"*\"");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 LIST (RECURSIVEMATCH) \"\" \"*\"");
        await imap.Expect("a2 BAD");
        await imap.Send("a3 LIST \"\" \"*\" RETURN (X-UNKNOWN)");
        await imap.Expect("a3 BAD");
        await imap.Send("a4 LIST \"\"");
        await imap.Expect("a4 BAD");
    }

    [Fact]
    public async Task List_status_returns_status_after_each_mailbox()
    {
        var box = app.Fresh("ls");
        await app.SeedAsync(box, TranscriptFixture.Message("one"), TranscriptFixture.Message("two"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 LIST \"\" {box} RETURN (STATUS (MESSAGES UIDNEXT))");
        var reply = await imap.Expect("a1 OK");
        Assert.Equal(2, reply.Count);
        Assert.StartsWith("* LIST", reply[0], StringComparison.Ordinal);
        Assert.Matches($"^\\* STATUS \"?{box}\"? \\(MESSAGES 2 UIDNEXT 3\\)$", reply[1]);
    }

    [Fact]
    public async Task Names_go_out_in_modified_utf7_and_in_utf8_after_enable()
    {
        var suffix = app.Fresh("");
        await using var imap = await app.LoginAsync();
        await Create(imap, $"Entw&APw-rfe{suffix}");
        await imap.Send($"a1 LIST \"\" \"Entw*{suffix}\"");
        Assert.Equal([$"Entw&APw-rfe{suffix}"], Names(await imap.Expect("a1 OK")));
        await imap.Send("a2 ENABLE UTF8=ACCEPT");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 LIST \"\" \"Entw*{suffix}\"");
        Assert.Equal([$"Entwürfe{suffix}"], Names(await imap.Expect("a3 OK")));
        await imap.Send($"a4 SELECT \"Entwürfe{suffix}\"");
        await imap.Expect("a4 OK");
        await imap.Send($"a5 CREATE \"Ünïcödé{suffix}\"");
        await imap.Expect("a5 OK");
        await using var other = await app.LoginAsync();
        await other.Send($"b1 LIST \"\" \"*{suffix}\"");
        Assert.Contains($"&ANw-n&AO8-c&APY-d&AOk-{suffix}", Names(await other.Expect("b1 OK")));
    }

    [Fact]
    public async Task Invalid_modified_utf7_is_refused()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 CREATE \"bad&-name&Zz\"");
        var reply = await imap.Expect("a1 ");
        Assert.True(reply.Tagged.StartsWith("a1 BAD", StringComparison.Ordinal) || reply.Tagged.StartsWith("a1 NO", StringComparison.Ordinal), reply.Tagged);
    }

    [Fact]
    public async Task List_needs_login()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 LIST \"\" \"*\"");
        await imap.Expect("a1 BAD");
    }
}
