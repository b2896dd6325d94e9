using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>AUTHENTICATE (RFC 9051 §6.2.2) with PLAIN (RFC 4616), SASL-IR (RFC 4959) and LOGIN.</summary>
public sealed class AuthenticateTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task Plain_with_initial_response()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 AUTHENTICATE PLAIN " + B64("\0alice@example.test\0pw"));
        await imap.Expect("a1 OK");
        await imap.Send("a2 SELECT INBOX");
        await imap.Expect("a2 OK");
    }

    [Fact]
    public async Task Plain_with_continuation()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 AUTHENTICATE PLAIN");
        Assert.Equal("", (await imap.ExpectContinuation()).Trim());
        await imap.Send(B64("\0alice@example.test\0pw"));
        await imap.Expect("a1 OK");
    }

    [Fact]
    public async Task Login_mechanism_asks_for_user_and_password()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 AUTHENTICATE LOGIN");
        Assert.Equal("Username:", Encoding.UTF8.GetString(Convert.FromBase64String(await imap.ExpectContinuation())));
        await imap.Send(B64("alice@example.test"));
        Assert.Equal("Password:", Encoding.UTF8.GetString(Convert.FromBase64String(await imap.ExpectContinuation())));
        await imap.Send(B64("pw"));
        await imap.Expect("a1 OK");
    }

    [Fact]
    public async Task Cancel_with_a_star_is_bad_and_the_session_goes_on()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 AUTHENTICATE PLAIN");
        await imap.ExpectContinuation();
        await imap.Send("*");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 AUTHENTICATE PLAIN " + B64("\0alice@example.test\0pw"));
        await imap.Expect("a2 OK");
    }

    [Fact]
    public async Task Bad_credentials_are_authenticationfailed()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 AUTHENTICATE PLAIN " + B64("\0alice@example.test\0nope"));
        await imap.Expect("a1 NO [AUTHENTICATIONFAILED]");
    }

    [Fact]
    public async Task Invalid_base64_is_bad()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 AUTHENTICATE PLAIN");
        await imap.ExpectContinuation();
        await imap.Send("!!!not base64!!!");
        await imap.Expect("a1 BAD");
    }

    [Fact]
    public async Task Unknown_mechanism_is_refused()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 AUTHENTICATE X-UNKNOWN");
        await imap.Expect("a1 NO");
        await imap.Send("a2 NOOP");
        await imap.Expect("a2 OK");
    }
}
