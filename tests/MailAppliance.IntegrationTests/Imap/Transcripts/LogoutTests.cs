using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>LOGOUT (RFC 9051 §6.1.3): BYE, then the tagged OK, then the server closes.</summary>
public sealed class LogoutTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Logout_before_login()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 LOGOUT");
        var reply = await imap.Expect("a1 OK");
        Assert.StartsWith("* BYE", Assert.Single(reply), StringComparison.Ordinal);
        Assert.Empty(await imap.ExpectClosed());
    }

    [Fact]
    public async Task Logout_while_selected()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 SELECT INBOX");
        await imap.Expect("a1 OK");
        await imap.Send("a2 LOGOUT");
        (await imap.Expect("a2 OK")).Single("* BYE");
        Assert.Empty(await imap.ExpectClosed());
    }

    [Fact]
    public async Task Commands_pipelined_after_logout_are_not_answered()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 LOGOUT\r\na2 NOOP\r\n");
        await imap.Expect("a1 OK");
        Assert.Empty(await imap.ExpectClosed());
    }
}
