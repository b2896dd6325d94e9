using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>
/// STARTTLS (RFC 9051 §6.2.1) on an appliance that refuses passwords in the clear (the default): LOGINDISABLED and
/// [PRIVACYREQUIRED] before TLS, authentication after it, and nothing sent in the clear survives the upgrade.
/// </summary>
public sealed class StartTlsTests(ApplianceFixture app) : IClassFixture<ApplianceFixture>
{
    [Fact]
    public async Task Before_tls_login_is_disabled()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 CAPABILITY");
        var caps = (await imap.Expect("a1 OK")).Single("* CAPABILITY").Split(' ');
        Assert.Contains("LOGINDISABLED", caps);
        Assert.Contains("STARTTLS", caps);
        Assert.DoesNotContain("AUTH=PLAIN", caps);
        await imap.Send("a2 LOGIN alice@example.test pw");
        await imap.Expect("a2 NO [PRIVACYREQUIRED]");
        await imap.Send("a3 AUTHENTICATE PLAIN " + Convert.ToBase64String("\0alice@example.test\0pw"u8.ToArray()));
        await imap.Expect("a3 NO [PRIVACYREQUIRED]");
    }

    [Fact]
    public async Task After_starttls_login_works_and_starttls_is_gone()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.StartTlsAsync("a1");
        await imap.Send("a2 CAPABILITY");
        var caps = (await imap.Expect("a2 OK")).Single("* CAPABILITY").Split(' ');
        Assert.DoesNotContain("STARTTLS", caps);
        Assert.DoesNotContain("LOGINDISABLED", caps);
        Assert.Contains("AUTH=PLAIN", caps);
        await imap.Send("a3 LOGIN alice@example.test pw");
        await imap.Expect("a3 OK");
    }

    [Fact]
    public async Task Starttls_twice_is_bad()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.StartTlsAsync("a1");
        await imap.Send("a2 STARTTLS");
        await imap.Expect("a2 BAD");
    }

    [Fact]
    public async Task Starttls_on_the_implicit_tls_port_is_bad()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapsPort, implicitTls: true);
        await imap.Send("a1 STARTTLS");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 LOGIN alice@example.test pw");
        await imap.Expect("a2 OK");
    }

    [Fact]
    public async Task Commands_pipelined_in_the_clear_after_starttls_are_discarded()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        // A man in the middle appends a command to the plaintext STARTTLS: it must not run inside TLS.
        await imap.Send("a1 STARTTLS\r\ninjected CAPABILITY\r\n");
        await imap.Expect("a1 OK");
        await imap.UpgradeAsync();
        await imap.Send("a2 NOOP");
        var reply = await imap.Expect("a2 OK");
        Assert.Empty(reply);
    }

    [Fact]
    public async Task Starttls_after_login_is_refused()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapsPort, implicitTls: true);
        await imap.Send("a1 LOGIN alice@example.test pw");
        await imap.Expect("a1 OK");
        await imap.Send("a2 STARTTLS");
        await imap.Expect("a2 BAD");
    }
}
