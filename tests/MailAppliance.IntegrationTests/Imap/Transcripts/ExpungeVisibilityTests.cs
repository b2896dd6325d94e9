using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>
/// RFC 3501 §7.4.1 (RFC 9051 §7.5.1): an EXPUNGE by another session is not sent during FETCH, STORE or SEARCH
/// (which would shift the sequence numbers the client is using), but is on NOOP.
/// </summary>
public sealed class ExpungeVisibilityTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private async Task<(ImapClientScript Imap, string Box)> ExpungedElsewhereAsync()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"), TranscriptFixture.Message("two"), TranscriptFixture.Message("three"));
        var imap = await app.LoginAsync();
        await imap.Send($"a0 SELECT {box}");
        await imap.Expect("a0 OK");
        await using var other = await app.LoginAsync();
        await other.Send($"b1 SELECT {box}");
        await other.Expect("b1 OK");
        await other.Send("b2 STORE 2 +FLAGS.SILENT (\\Deleted)");
        await other.Expect("b2 OK");
        await other.Send("b3 EXPUNGE");
        await other.Expect("b3 OK");
        return (imap, box);
    }

    [Fact]
    public async Task Not_during_fetch_store_search_but_on_noop()
    {
        var (imap, _) = await ExpungedElsewhereAsync();
        await using var __ = imap;
        await imap.Send("a1 FETCH 1:3 (UID)");
        Assert.False((await imap.Expect("a1 OK")).Has("* 2 EXPUNGE"));
        await imap.Send("a2 STORE 1 +FLAGS (\\Seen)");
        Assert.DoesNotContain(await imap.Expect("a2 OK"), l => l.EndsWith("EXPUNGE", StringComparison.Ordinal));
        await imap.Send("a3 SEARCH ALL");
        var search = await imap.Expect("a3 OK");
        Assert.DoesNotContain(search, l => l.EndsWith("EXPUNGE", StringComparison.Ordinal));
        Assert.Equal("* SEARCH 1 2 3", search.Single("* SEARCH"));
        await imap.Send("a4 NOOP");
        Assert.Contains("* 2 EXPUNGE", await imap.Expect("a4 OK"));
        await imap.Send("a5 FETCH 1:* UID");
        Assert.Equal(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"], await imap.Expect("a5 OK"));
    }

    [Fact]
    public async Task Flag_changes_by_another_session_are_reported_during_fetch()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"a0 SELECT {box}");
        await imap.Expect("a0 OK");
        await using (var other = await app.LoginAsync())
        {
            await other.Send($"b1 SELECT {box}");
            await other.Expect("b1 OK");
            await other.Send("b2 STORE 1 +FLAGS.SILENT (\\Answered)");
            await other.Expect("b2 OK");
        }

        await imap.Send("a1 NOOP");
        Assert.Matches(@"^\* 1 FETCH \((UID 1 )?FLAGS \(\\Answered\)\)$", (await imap.Expect("a1 OK")).Single("* 1 FETCH"));
    }

    [Fact]
    public async Task Uid_commands_may_report_the_expunge()
    {
        var (imap, _) = await ExpungedElsewhereAsync();
        await using var __ = imap;
        await imap.Send("a1 UID FETCH 1:* (UID)");
        var reply = await imap.Expect("a1 OK");
        // RFC 3501 §7.4.1 allows the EXPUNGE here (after the FETCH data, in the numbering it used).
        Assert.Contains("* 1 FETCH (UID 1)", reply);
        Assert.DoesNotContain(reply, l => l.Contains("(UID 2)", StringComparison.Ordinal));
    }
}
