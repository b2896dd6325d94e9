using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>ENABLE (RFC 5161): CONDSTORE, UTF8=ACCEPT, IMAP4rev2; unknown capabilities are ignored.</summary>
public sealed class EnableTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Enable_condstore_and_an_unknown_one()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 ENABLE CONDSTORE X-UNKNOWN");
        Assert.Equal("* ENABLED CONDSTORE", Assert.Single(await imap.Expect("a1 OK")));
    }

    [Fact]
    public async Task Enable_nothing_known_answers_an_empty_enabled()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 ENABLE X-UNKNOWN");
        Assert.Equal("* ENABLED", Assert.Single(await imap.Expect("a1 OK")));
    }

    [Fact]
    public async Task Enable_condstore_makes_store_report_modseq()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("m"));
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 ENABLE CONDSTORE");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 SELECT {box}");
        await imap.Expect("a2 OK");
        // RFC 7162 §3.2: with CONDSTORE enabled, a STORE's FETCH responses carry MODSEQ.
        await imap.Send("a3 STORE 1 +FLAGS (\\Flagged)");
        Assert.Matches(@"^\* 1 FETCH \(FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$", (await imap.Expect("a3 OK")).Single("* 1 FETCH"));
    }

    [Fact]
    public async Task Enable_imap4rev2_drops_recent_from_select()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 ENABLE IMAP4rev2");
        Assert.Equal("* ENABLED IMAP4rev2", Assert.Single(await imap.Expect("a1 OK")));
        await imap.Send("a2 SELECT INBOX");
        var reply = await imap.Expect("a2 OK");
        Assert.False(reply.Has("* 0 RECENT"));
        reply.Single("* LIST ");
    }

    [Fact]
    public async Task Enable_before_login_is_refused_and_without_arguments_is_bad()
    {
        await using (var fresh = await ImapClientScript.ConnectAsync(app.ImapPort))
        {
            await fresh.Send("a1 ENABLE CONDSTORE");
            await fresh.Expect("a1 BAD");
        }

        await using var imap = await app.LoginAsync();
        await imap.Send("a2 ENABLE");
        await imap.Expect("a2 BAD");
    }
}
