using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>LOGIN (RFC 9051 §6.2.3).</summary>
public sealed class LoginTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Login_with_atoms_answers_with_capabilities()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 LOGIN alice@example.test pw");
        var reply = await imap.Expect("a1 OK [CAPABILITY ");
        Assert.Contains("IMAP4rev1", reply.Tagged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_with_quoted_strings_and_literals()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.SendLiteral("a1 LOGIN \"alice@example.test\" ", "pw");
        await imap.Expect("a1 OK");
    }

    [Fact]
    public async Task Login_with_a_synchronizing_literal_user_name()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.SendLiteral("a1 LOGIN ", "alice@example.test", " \"pw\"");
        await imap.Expect("a1 OK");
    }

    [Fact]
    public async Task Wrong_password_and_unknown_user_fail_alike()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 LOGIN alice@example.test wrong");
        await imap.Expect("a1 NO [AUTHENTICATIONFAILED]");
        await imap.Send("a2 LOGIN nobody@example.test pw");
        await imap.Expect("a2 NO [AUTHENTICATIONFAILED]");
        await imap.Send("a3 LOGIN alice@example.test pw");
        await imap.Expect("a3 OK");
    }

    [Fact]
    public async Task Login_with_missing_arguments_is_bad()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 LOGIN alice@example.test");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 LOGIN");
        await imap.Expect("a2 BAD");
    }

    [Fact]
    public async Task Login_twice_is_refused()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 LOGIN alice@example.test pw");
        await imap.Expect("a1 BAD");
    }
}
