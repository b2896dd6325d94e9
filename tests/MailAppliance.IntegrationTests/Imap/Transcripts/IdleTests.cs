using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>IDLE (RFC 2177): another session's changes are pushed while idling; DONE ends it.</summary>
public sealed class IdleTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Exists_fetch_and_expunge_are_pushed_during_idle()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 SELECT {box}");
        await imap.Expect("a1 OK");
        await imap.Send("a2 IDLE");
        await imap.ExpectContinuation();

        await using var other = await app.LoginAsync();
        await other.SendLiteral($"b1 APPEND {box} ", TranscriptFixture.Message("two"));
        await other.Expect("b1 OK");
        Assert.Equal("* 2 EXISTS", await imap.ExpectUntagged("* 2 EXISTS"));

        // The idling session is the first to hear of the message: it is \Recent there (RFC 3501 §2.3.2).
        Assert.Equal("* 1 RECENT", await imap.ExpectUntagged("* 1 RECENT"));

        await other.Send($"b2 SELECT {box}");
        await other.Expect("b2 OK");
        await other.Send("b3 STORE 1 +FLAGS.SILENT (\\Flagged)");
        await other.Expect("b3 OK");
        Assert.Contains("\\Flagged", await imap.ExpectUntagged("* 1 FETCH ("), StringComparison.Ordinal);

        await other.Send("b4 STORE 2 +FLAGS.SILENT (\\Deleted)");
        await other.Expect("b4 OK");
        await other.Send("b5 EXPUNGE");
        await other.Expect("b5 OK");
        string line;
        do
        {
            line = await imap.ReadResponseAsync();
        }
        while (line.StartsWith("* 2 FETCH", StringComparison.Ordinal));

        Assert.Equal("* 2 EXPUNGE", line);
        await imap.Send("DONE");
        await imap.Expect("a2 OK");
        await imap.Send("a3 NOOP");
        Assert.Empty(await imap.Expect("a3 OK"));
    }

    [Fact]
    public async Task Idle_without_a_selected_mailbox_ends_with_done()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 IDLE");
        await imap.ExpectContinuation();
        await imap.Send("done");
        await imap.Expect("a1 OK");
    }

    [Fact]
    public async Task Anything_but_done_ends_idle_with_bad()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 IDLE");
        await imap.ExpectContinuation();
        await imap.Send("a2 NOOP");
        await imap.Expect("a1 BAD");
        await imap.Send("a3 NOOP");
        await imap.Expect("a3 OK");
    }

    [Fact]
    public async Task Idle_needs_login()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 IDLE");
        await imap.Expect("a1 BAD");
    }
}
