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
    public async Task A_new_password_set_by_the_cli_takes_effect_for_a_login_remembered_by_serve()
    {
        await app.Ok("user add cache@example.test --password-stdin", "first\n");
        for (var i = 0; i < 2; i++)
        {
            // The second login is answered from the verified-credentials cache.
            await using var ok = await ImapClientScript.LoginAsync(app.ImapPort, "cache@example.test", "first");
        }

        // `user passwd` runs in another process: serve hears of it by directory_changed, and a cached login still
        // reads the user's current hash, so the old password fails at once.
        await app.Ok("user passwd cache@example.test --password-stdin", "second\n");
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("l1 LOGIN cache@example.test first");
        await imap.Expect("l1 NO [AUTHENTICATIONFAILED]");
        await imap.Send("l2 LOGIN cache@example.test second");
        await imap.Expect("l2 OK");

        await app.Ok("user remove cache@example.test");
        await using var gone = await ImapClientScript.ConnectAsync(app.ImapPort);
        await gone.Send("l3 LOGIN cache@example.test second");
        await gone.Expect("l3 NO [AUTHENTICATIONFAILED]");
    }

    [Fact]
    public async Task Login_twice_is_refused()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 LOGIN alice@example.test pw");
        await imap.Expect("a1 BAD");
    }
}
