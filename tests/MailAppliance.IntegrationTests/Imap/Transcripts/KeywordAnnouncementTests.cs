using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>
/// INTERFACE.md: a command that brings a new keyword into a mailbox sends <c>* FLAGS</c> and
/// <c>* OK [PERMANENTFLAGS …]</c> naming it, before any FETCH uses it, to every session with the mailbox selected
/// (RFC 9051 §7.3.5; imaptest refuses "Keyword used without being in FLAGS").
/// </summary>
public sealed class KeywordAnnouncementTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private const string Flags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded";

    [Fact]
    public async Task Another_session_hears_of_a_new_keyword_before_the_fetch_that_shows_it()
    {
        var box = app.Fresh("kw");
        await app.SeedAsync(box, TranscriptFixture.Message("one"));
        await using var watcher = await app.LoginAsync();
        await watcher.Send($"w1 SELECT {box}");
        Assert.True((await watcher.Expect("w1 OK")).Has($"* FLAGS ({Flags})"));

        await using var writer = await app.LoginAsync();
        await writer.Send($"s1 SELECT {box}");
        await writer.Expect("s1 OK");
        await writer.Send("s2 STORE 1 +FLAGS.SILENT ($Urgent)");
        await writer.Expect("s2 OK");

        await watcher.Send("w2 NOOP");
        var reply = await watcher.Expect("w2 OK");
        Assert.Equal(
            [
                $"* FLAGS ({Flags} $Urgent)",
                $"* OK [PERMANENTFLAGS ({Flags} $Urgent \\*)] Flags permitted",
                "* 1 FETCH (UID 1 FLAGS ($Urgent))",
            ],
            reply);
    }

    [Fact]
    public async Task A_copied_keyword_is_announced_in_the_target_before_fetch()
    {
        var source = app.Fresh("kw");
        var target = app.Fresh("kw");
        await app.SeedAsync(source, TranscriptFixture.Message("one"));
        await app.SeedAsync(target, TranscriptFixture.Message("two"));
        await using var watcher = await app.LoginAsync();
        await watcher.Send($"w1 SELECT {target}");
        await watcher.Expect("w1 OK");

        await using var mover = await app.LoginAsync();
        await mover.Send($"m1 SELECT {source}");
        await mover.Expect("m1 OK");
        await mover.Send("m2 STORE 1 +FLAGS ($Project)");
        await mover.Expect("m2 OK");
        await mover.Send($"m3 COPY 1 {target}");
        await mover.Expect("m3 OK");

        // The new message arrives with its keyword: FLAGS names it before EXISTS, so no later FETCH surprises.
        await watcher.Send("w2 NOOP");
        var reply = (await watcher.Expect("w2 OK")).ToList();
        var announced = reply.FindIndex(l => l.StartsWith("* FLAGS", StringComparison.Ordinal) && l.Contains("$Project", StringComparison.Ordinal));
        Assert.True(announced >= 0 && announced < reply.IndexOf("* 2 EXISTS"), string.Join("\n", reply));
        await watcher.Send("w3 FETCH 2 FLAGS");
        Assert.Equal(["* 2 FETCH (FLAGS (\\Recent $Project))"], await watcher.Expect("w3 OK"));
    }

    [Fact]
    public async Task A_keyword_named_nil_is_a_keyword_like_any_other_as_in_dovecot()
    {
        var box = app.Fresh("kw");
        await app.SeedAsync(box, TranscriptFixture.Message("one"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"s1 SELECT {box}");
        await imap.Expect("s1 OK");
        await imap.Send("s2 STORE 1 +FLAGS NIL");
        var reply = await imap.Expect("s2 OK");
        Assert.Equal($"* FLAGS ({Flags} NIL)", reply[0]);
        Assert.Equal("* 1 FETCH (FLAGS (NIL))", reply[2]);
    }
}
