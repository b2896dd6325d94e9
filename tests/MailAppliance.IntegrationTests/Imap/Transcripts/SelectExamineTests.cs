using System.Text.RegularExpressions;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3; RFC 3501 for the IMAP4rev1 responses; RFC 7162 CONDSTORE).</summary>
public sealed partial class SelectExamineTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Select_sends_the_mailbox_data()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"), TranscriptFixture.Message("two"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 SELECT {box}");
        var reply = await imap.Expect("a1 OK [READ-WRITE]");
        Assert.StartsWith("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft", reply.Single("* FLAGS"), StringComparison.Ordinal);
        Assert.Contains("\\*", reply.Single("* OK [PERMANENTFLAGS"), StringComparison.Ordinal);
        reply.Single("* 2 EXISTS");
        reply.Single("* 0 RECENT");
        reply.Single("* OK [UNSEEN 1]");
        Assert.Matches(@"^\* OK \[UIDVALIDITY \d+\]", reply.Single("* OK [UIDVALIDITY"));
        reply.Single("* OK [UIDNEXT 3]");
    }

    [Fact]
    public async Task Examine_is_read_only_and_has_no_permanent_flags()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 EXAMINE {box}");
        var reply = await imap.Expect("a1 OK [READ-ONLY]");
        reply.Single("* OK [PERMANENTFLAGS ()]");
        await imap.Send("a2 STORE 1 +FLAGS (\\Seen)");
        await imap.Expect("a2 NO");
        // RFC 9051 §6.3.3: EXAMINE does not set \Seen by fetching a body.
        await imap.Send("a3 FETCH 1 BODY[]");
        await imap.Expect("a3 OK");
        await imap.Send("a4 FETCH 1 FLAGS");
        Assert.Equal("* 1 FETCH (FLAGS ())", (await imap.Expect("a4 OK")).Single("* 1 FETCH"));
    }

    [Fact]
    public async Task Select_with_condstore_reports_highestmodseq()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 SELECT INBOX (CONDSTORE)");
        var reply = await imap.Expect("a1 OK");
        Assert.Matches(@"^\* OK \[HIGHESTMODSEQ \d+\]", reply.Single("* OK [HIGHESTMODSEQ"));
    }

    [Fact]
    public async Task Select_with_an_unknown_parameter_is_bad()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 SELECT INBOX (X-FOO)");
        await imap.Expect("a1 BAD");
    }

    [Fact]
    public async Task Select_of_a_missing_mailbox_fails_and_leaves_nothing_selected()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 SELECT INBOX");
        await imap.Expect("a1 OK");
        await imap.Send("a2 SELECT nosuchbox");
        var reply = await imap.Expect("a2 NO");
        reply.Single("* OK [CLOSED]");
        await imap.Send("a3 FETCH 1:* FLAGS");
        await imap.Expect("a3 BAD");
    }

    [Theory]
    [InlineData("~foo")]
    [InlineData("!#$&'+,-.0123456789:;<=>?@^_`|[}")]
    [InlineData("\"bad&name\"")]
    public async Task A_name_that_cannot_be_a_mailbox_is_a_missing_mailbox_not_bad_syntax(string name)
    {
        await using var imap = await app.LoginAsync();
        await imap.Send($"n1 SELECT {name}");
        await imap.Expect("n1 NO [NONEXISTENT]");
        await imap.Send($"n2 LIST \"\" {name}");
        await imap.Expect("n2 OK");
        await imap.Send("n3 NOOP");
        await imap.Expect("n3 OK");
    }

    [Fact]
    public async Task Select_is_case_insensitive_for_inbox_only()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 SELECT inbox");
        await imap.Expect("a1 OK");
        var box = app.Fresh("Mixed");
        await imap.Send($"a2 CREATE {box}");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 SELECT {box.ToLowerInvariant()}");
        await imap.Expect("a3 NO");
    }

    [Fact]
    public async Task Uidvalidity_and_uids_survive_a_restart()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"));
        string before;
        await using (var imap = await app.LoginAsync())
        {
            await imap.Send($"a1 SELECT {box}");
            before = UidValidity().Match((await imap.Expect("a1 OK")).Single("* OK [UIDVALIDITY")).Value;
        }

        await app.StopAsync();
        await app.StartAsync();
        await using (var imap = await app.LoginAsync())
        {
            await imap.Send($"a1 SELECT {box}");
            var reply = await imap.Expect("a1 OK");
            Assert.Equal(before, UidValidity().Match(reply.Single("* OK [UIDVALIDITY")).Value);
            reply.Single("* OK [UIDNEXT 2]");
            await imap.Send("a2 UID FETCH 1:* UID");
            Assert.Equal("* 1 FETCH (UID 1)", (await imap.Expect("a2 OK")).Single("* 1 FETCH"));
        }
    }

    [GeneratedRegex(@"UIDVALIDITY \d+")]
    private static partial Regex UidValidity();
}
