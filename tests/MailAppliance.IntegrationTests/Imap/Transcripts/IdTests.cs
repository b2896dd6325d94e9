using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>ID (RFC 2971): allowed in any state, answers with the server's identity.</summary>
public sealed class IdTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Id_with_a_list_before_login()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 ID (\"name\" \"transcript\" \"version\" \"1.0\")");
        var id = (await imap.Expect("a1 OK")).Single("* ID (");
        Assert.Contains("\"name\" \"MailAppliance\"", id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Id_with_nil_after_login()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 ID NIL");
        (await imap.Expect("a1 OK")).Single("* ID ");
    }

    [Fact]
    public async Task Id_without_arguments_is_bad()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 ID");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 ID \"name\"");
        await imap.Expect("a2 BAD");
        await imap.Send("a3 NOOP");
        await imap.Expect("a3 OK");
    }
}
