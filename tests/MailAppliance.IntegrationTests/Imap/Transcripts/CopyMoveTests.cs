using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>COPY and MOVE (RFC 9051 §6.4.7, §6.4.8; RFC 6851) with COPYUID (RFC 4315) and TRYCREATE.</summary>
public sealed class CopyMoveTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private async Task<(ImapClientScript Imap, string Target)> SelectedAsync()
    {
        var box = app.Fresh("src");
        var target = app.Fresh("dst");
        await app.SeedAsync(box, TranscriptFixture.Message("one"), TranscriptFixture.Message("two"), TranscriptFixture.Message("three"));
        var imap = await app.LoginAsync();
        await imap.Send($"s0 CREATE {target}");
        await imap.Expect("s0 OK");
        await imap.Send($"s1 SELECT {box}");
        await imap.Expect("s1 OK");
        return (imap, target);
    }

    [Fact]
    public async Task Copy_answers_copyuid()
    {
        var (imap, target) = await SelectedAsync();
        await using var _ = imap;
        await imap.Send($"a1 COPY 1,3 {target}");
        var reply = await imap.Expect("a1 OK [COPYUID ");
        Assert.Matches(@"^a1 OK \[COPYUID \d+ 1,3 1,2\]|^a1 OK \[COPYUID \d+ 1,3 1:2\]", reply.Tagged);
        Assert.Empty(reply);
        await imap.Send($"a2 STATUS {target} (MESSAGES)");
        Assert.Contains("MESSAGES 2", Assert.Single(await imap.Expect("a2 OK")), StringComparison.Ordinal);
        await imap.Send($"a3 UID COPY 2 {target}");
        Assert.Matches(@"^a3 OK \[COPYUID \d+ 2 3\]", (await imap.Expect("a3 OK")).Tagged);
    }

    [Fact]
    public async Task Copy_keeps_flags()
    {
        var (imap, target) = await SelectedAsync();
        await using var _ = imap;
        await imap.Send("a1 STORE 1 +FLAGS.SILENT (\\Flagged $Keep)");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 COPY 1 {target}");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 EXAMINE {target}");
        await imap.Expect("a3 OK");
        await imap.Send("a4 FETCH 1 FLAGS");
        var flags = Assert.Single(await imap.Expect("a4 OK"));
        Assert.Contains("\\Flagged", flags, StringComparison.Ordinal);
        Assert.Contains("$Keep", flags, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Move_sends_copyuid_untagged_then_expunges()
    {
        var (imap, target) = await SelectedAsync();
        await using var _ = imap;
        await imap.Send($"a1 MOVE 2 {target}");
        var reply = await imap.Expect("a1 OK");
        Assert.Equal(2, reply.Count);
        Assert.Matches(@"^\* OK \[COPYUID \d+ 2 1\]", reply[0]);
        Assert.Equal("* 2 EXPUNGE", reply[1]);
        await imap.Send($"a2 UID MOVE 3 {target}");
        var uidMove = await imap.Expect("a2 OK");
        Assert.Matches(@"^\* OK \[COPYUID \d+ 3 2\]", uidMove[0]);
        Assert.Equal("* 2 EXPUNGE", uidMove[1]);
        await imap.Send("a3 FETCH 1:* UID");
        Assert.Equal(["* 1 FETCH (UID 1)"], await imap.Expect("a3 OK"));
    }

    [Fact]
    public async Task Missing_target_asks_to_create_it()
    {
        var (imap, _) = await SelectedAsync();
        await using var __ = imap;
        await imap.Send($"a1 COPY 1 {app.Fresh("nope")}");
        await imap.Expect("a1 NO [TRYCREATE]");
        await imap.Send($"a2 MOVE 1 {app.Fresh("nope")}");
        await imap.Expect("a2 NO [TRYCREATE]");
        await imap.Send("a3 FETCH 1:* UID");
        Assert.Equal(3, (await imap.Expect("a3 OK")).Count);
    }

    [Fact]
    public async Task Move_in_a_read_only_mailbox_is_refused_and_bad_sets_are_bad()
    {
        var (imap, target) = await SelectedAsync();
        await using var _ = imap;
        await imap.Send("a0 FETCH 1 UID");
        await imap.Expect("a0 OK");
        await imap.Send($"a1 COPY 9 {target}");
        await imap.Expect("a1 BAD");
        await imap.Send($"a2 COPY 1");
        await imap.Expect("a2 BAD");
        await imap.Send($"a3 UID COPY 9 {target}");
        await imap.Expect("a3 OK");
        await imap.Send($"a3b COPY 1 {target}");
        await imap.Expect("a3b OK");
        await imap.Send($"a4 EXAMINE {target}");
        await imap.Expect("a4 OK");
        await imap.Send("a5 MOVE 1:* INBOX");
        await imap.Expect("a5 NO");
    }
}
