using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>STORE and UID STORE (RFC 9051 §6.4.6) with UNCHANGEDSINCE (RFC 7162 §3.1.3).</summary>
public sealed class StoreTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private async Task<ImapClientScript> SelectedAsync(int messages = 2)
    {
        var box = app.Fresh();
        await app.SeedAsync(box, Enumerable.Range(1, messages).Select(i => TranscriptFixture.Message($"m{i}")).ToArray());
        var imap = await app.LoginAsync();
        await imap.Send($"s1 SELECT {box}");
        await imap.Expect("s1 OK");
        return imap;
    }

    [Fact]
    public async Task Add_remove_and_replace_flags()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("a1 STORE 1 +FLAGS (\\Seen \\Flagged)");
        Assert.Equal(["* 1 FETCH (FLAGS (\\Flagged \\Seen))"], await imap.Expect("a1 OK"));
        await imap.Send("a2 STORE 1 -FLAGS (\\Seen)");
        Assert.Equal(["* 1 FETCH (FLAGS (\\Flagged))"], await imap.Expect("a2 OK"));
        await imap.Send("a3 STORE 1:2 FLAGS (\\Answered)");
        Assert.Equal(["* 1 FETCH (FLAGS (\\Answered))", "* 2 FETCH (FLAGS (\\Answered))"], await imap.Expect("a3 OK"));
        await imap.Send("a4 STORE 2 FLAGS ()");
        Assert.Equal(["* 2 FETCH (FLAGS ())"], await imap.Expect("a4 OK"));
    }

    [Fact]
    public async Task Silent_stores_send_nothing()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("a1 STORE 1:* +FLAGS.SILENT (\\Seen)");
        Assert.Empty(await imap.Expect("a1 OK"));
        await imap.Send("a2 FETCH 1:* FLAGS");
        Assert.Equal(["* 1 FETCH (FLAGS (\\Seen))", "* 2 FETCH (FLAGS (\\Seen))"], await imap.Expect("a2 OK"));
        await imap.Send("a3 STORE 1 FLAGS.SILENT \\Draft");
        Assert.Empty(await imap.Expect("a3 OK"));
    }

    [Fact]
    public async Task Keywords_are_kept_and_listed_in_flags()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("a1 STORE 1 +FLAGS ($Important Work)");
        var reply = await imap.Expect("a1 OK");

        // INTERFACE.md: a new keyword is announced in FLAGS and PERMANENTFLAGS before a FETCH shows it.
        Assert.Equal(3, reply.Count);
        Assert.Equal("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Important Work)", reply[0]);
        Assert.StartsWith("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Important Work \\*)]", reply[1], StringComparison.Ordinal);
        Assert.Equal("* 1 FETCH (FLAGS ($Important Work))", reply[2]);
        await imap.Send("a2 STORE 1 -FLAGS (Work)");
        Assert.Equal(["* 1 FETCH (FLAGS ($Important))"], await imap.Expect("a2 OK"));
    }

    [Fact]
    public async Task Uid_store_includes_the_uid()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("a1 UID STORE 2 +FLAGS (\\Seen)");
        Assert.Equal(["* 2 FETCH (UID 2 FLAGS (\\Seen))"], await imap.Expect("a1 OK"));
        await imap.Send("a2 UID STORE 99 +FLAGS (\\Seen)");
        Assert.Empty(await imap.Expect("a2 OK"));
    }

    [Fact]
    public async Task Unchangedsince_refuses_changed_messages_with_modified()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("a1 FETCH 1:2 (MODSEQ)");
        var modseqs = (await imap.Expect("a1 OK")).Where(l => l.Contains(" FETCH ", StringComparison.Ordinal)).Select(l => long.Parse(l[(l.IndexOf("MODSEQ (", StringComparison.Ordinal) + 8)..].TrimEnd(')'))).ToList();
        await imap.Send("a2 STORE 1 +FLAGS.SILENT (\\Flagged)");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 STORE 1:2 (UNCHANGEDSINCE {modseqs.Max()}) +FLAGS (\\Seen)");
        var reply = await imap.Expect("a3 OK [MODIFIED 1]");
        Assert.Matches(@"^\* 2 FETCH \(FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$", Assert.Single(reply));
        await imap.Send("a4 FETCH 1 FLAGS");
        Assert.DoesNotContain("\\Seen", Assert.Single(await imap.Expect("a4 OK")).Split("FLAGS")[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("b1 STORE 9 +FLAGS (\\Seen)");
        await imap.Expect("b1 BAD");
        await imap.Send("b2 STORE 1 +FLAGS (\\Bogus)");
        await imap.Expect("b2 BAD");
        await imap.Send("b3 STORE 1 X-FLAGS (\\Seen)");
        await imap.Expect("b3 BAD");
        await imap.Send("b4 STORE 1 +FLAGS (\\Recent)");
        await imap.Expect("b4 BAD");
        await imap.Send("b5 STORE 1 (UNCHANGEDSINCE x) +FLAGS (\\Seen)");
        await imap.Expect("b5 BAD");
        await imap.Send("b6 STORE 1 +FLAGS (\\Seen)");
        await imap.Expect("b6 OK");
    }
}
