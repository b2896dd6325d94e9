namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>NOOP (RFC 9051 §6.1.2) in every state and CHECK (RFC 3501 §6.4.1) in the selected state.</summary>
public sealed class NoopCheckTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Noop_before_login()
    {
        await using var imap = await Testing.ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 NOOP");
        await imap.Expect("a1 OK");
    }

    [Fact]
    public async Task Noop_reports_new_messages_in_the_selected_mailbox()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 SELECT {box}");
        Assert.Equal("* 1 EXISTS", (await imap.Expect("a1 OK")).Single("* 1 EXISTS"));
        await using (var other = await app.LoginAsync())
        {
            await other.SendLiteral($"b1 APPEND {box} ", TranscriptFixture.Message("two"));
            await other.Expect("b1 OK");
        }

        await imap.Send("a2 NOOP");
        var reply = await imap.Expect("a2 OK");
        Assert.Contains("* 2 EXISTS", reply);
    }

    [Fact]
    public async Task Check_needs_a_selected_mailbox()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 CHECK");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 SELECT INBOX");
        await imap.Expect("a2 OK");
        await imap.Send("a3 CHECK");
        await imap.Expect("a3 OK");
    }
}
