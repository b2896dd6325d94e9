using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>
/// \Recent (RFC 3501 §2.3.2): a message is recent in exactly one session, the first read-write one to hear of it;
/// EXAMINE shows recent messages without taking them; STATUS RECENT counts those nobody has taken yet.
/// </summary>
public sealed class RecentTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task The_first_select_takes_the_recent_messages_and_examine_only_looks()
    {
        var box = app.Fresh("recent");
        await app.SeedAsync(box, keepRecent: true, TranscriptFixture.Message("one"), TranscriptFixture.Message("two"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"s1 STATUS {box} (RECENT MESSAGES)");
        Assert.Equal([$"* STATUS \"{box}\" (RECENT 2 MESSAGES 2)"], await imap.Expect("s1 OK"));

        await imap.Send($"e1 EXAMINE {box}");
        Assert.True((await imap.Expect("e1 OK [READ-ONLY]")).Has("* 2 RECENT"));
        await imap.Send("e2 FETCH 1:2 FLAGS");
        Assert.Equal(["* 1 FETCH (FLAGS (\\Recent))", "* 2 FETCH (FLAGS (\\Recent))"], await imap.Expect("e2 OK"));

        await imap.Send($"s2 SELECT {box}");
        Assert.True((await imap.Expect("s2 OK [READ-WRITE]")).Has("* 2 RECENT"));
        await imap.Send("s3 SEARCH RECENT");
        Assert.Equal(["* SEARCH 1 2"], await imap.Expect("s3 OK"));

        await using var second = await app.LoginAsync();
        await second.Send($"t1 SELECT {box}");
        Assert.True((await second.Expect("t1 OK")).Has("* 0 RECENT"));
        await second.Send("t2 FETCH 1 FLAGS");
        Assert.Equal(["* 1 FETCH (FLAGS ())"], await second.Expect("t2 OK"));
        await second.Send("t3 SEARCH OLD");
        Assert.Equal(["* SEARCH 1 2"], await second.Expect("t3 OK"));
        await second.Send($"t4 STATUS {box} (RECENT)");
        Assert.Equal([$"* STATUS \"{box}\" (RECENT 0)"], await second.Expect("t4 OK"));
    }

    [Fact]
    public async Task A_new_message_is_recent_in_the_selected_session_that_hears_of_it()
    {
        var box = app.Fresh("recent");
        await app.SeedAsync(box, TranscriptFixture.Message("old"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"s1 SELECT {box}");
        Assert.True((await imap.Expect("s1 OK")).Has("* 0 RECENT"));

        await using var other = await app.LoginAsync();
        await other.SendLiteral($"a1 APPEND {box} ", TranscriptFixture.Message("new"));
        await other.Expect("a1 OK");

        await imap.Send("n1 NOOP");
        var noop = await imap.Expect("n1 OK");
        Assert.Equal(["* 2 EXISTS", "* 1 RECENT"], noop);
        await imap.Send("n2 SEARCH NEW");
        Assert.Equal(["* SEARCH 2"], await imap.Expect("n2 OK"));
        await imap.Send("n3 STORE 2 +FLAGS (\\Recent)");
        await imap.Expect("n3 BAD");
    }

    [Fact]
    public async Task Imap4rev2_sessions_hear_no_recent()
    {
        var box = app.Fresh("recent");
        await app.SeedAsync(box, keepRecent: true, TranscriptFixture.Message("one"));
        await using var imap = await app.LoginAsync();
        await imap.Send("r1 ENABLE IMAP4rev2");
        await imap.Expect("r1 OK");
        await imap.Send($"r2 SELECT {box}");
        Assert.False((await imap.Expect("r2 OK")).Has("* 1 RECENT"));
    }
}
