using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>NAMESPACE (RFC 2342, RFC 9051 §6.3.10).</summary>
public sealed class NamespaceTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task One_personal_namespace()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 NAMESPACE");
        Assert.Equal("* NAMESPACE ((\"\" \"/\")) NIL NIL", Assert.Single(await imap.Expect("a1 OK")));
    }

    [Fact]
    public async Task Namespace_needs_login()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 NAMESPACE");
        await imap.Expect("a1 BAD");
    }
}
