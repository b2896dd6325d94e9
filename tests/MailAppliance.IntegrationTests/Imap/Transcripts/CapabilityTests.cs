using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>CAPABILITY (RFC 9051 §6.1.1): what is offered depends on the state and on TLS.</summary>
public sealed class CapabilityTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Greeting_carries_the_capabilities()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        Assert.StartsWith("* OK [CAPABILITY IMAP4rev1 ", imap.Greeting, StringComparison.Ordinal);
        Assert.Contains(" STARTTLS", imap.Greeting, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Before_login_lists_auth_mechanisms_and_starttls()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 CAPABILITY");
        var reply = await imap.Expect("a1 OK");
        var caps = reply.Single("* CAPABILITY ").Split(' ');
        Assert.Contains("IMAP4rev1", caps);
        Assert.Contains("IMAP4rev2", caps);
        Assert.Contains("STARTTLS", caps);
        Assert.Contains("AUTH=PLAIN", caps);
        Assert.Contains("SASL-IR", caps);
        Assert.Contains("LITERAL+", caps);
        Assert.DoesNotContain("LOGINDISABLED", caps);
    }

    [Fact]
    public async Task After_login_lists_the_extensions_and_no_auth()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 CAPABILITY");
        var caps = (await imap.Expect("a1 OK")).Single("* CAPABILITY ").Split(' ');
        foreach (var extension in new[] { "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN", "SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS", "CONDSTORE", "ESEARCH", "QUOTA", "STATUS=SIZE", "BINARY", "ENABLE", "ID", "UTF8=ACCEPT" })
        {
            Assert.Contains(extension, caps);
        }

        Assert.DoesNotContain("AUTH=PLAIN", caps);
        Assert.DoesNotContain("STARTTLS", caps);
    }

    [Fact]
    public async Task Implicit_tls_offers_no_starttls()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapsPort, implicitTls: true);
        await imap.Send("a1 CAPABILITY");
        var caps = (await imap.Expect("a1 OK")).Single("* CAPABILITY ").Split(' ');
        Assert.DoesNotContain("STARTTLS", caps);
        Assert.Contains("AUTH=PLAIN", caps);
    }

    [Fact]
    public async Task Arguments_are_ignored_or_refused_but_the_session_goes_on()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 capability");
        await imap.Expect("a1 OK");
    }
}
