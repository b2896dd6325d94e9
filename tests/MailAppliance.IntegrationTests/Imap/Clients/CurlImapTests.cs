using System.Text;
using System.Text.RegularExpressions;

namespace MailAppliance.IntegrationTests.Imap.Clients;

/// <summary>curl's IMAP client against the real appliance: listing, fetching by UID, a custom command.</summary>
public sealed class CurlImapTests : IClassFixture<ImapClientFixture>
{
    private readonly ImapClientFixture _app;

    public CurlImapTests(ImapClientFixture app) => _app = app;

    private static string Crlf(string path) =>
        Encoding.Latin1.GetString(File.ReadAllBytes(path)).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);

    private static async Task<string> CurlAsync(params string[] arguments)
    {
        var (exit, output) = await ImapClientFixture.RunAsync("curl", ["-sS", "--max-time", "30", "-k", .. arguments]);
        Assert.True(exit == 0, output);
        return output;
    }

    [Fact]
    public async Task Lists_mailboxes_and_fetches_messages_by_uid_byte_for_byte()
    {
        var user = await _app.UserAsync("curl");
        await _app.DeliverAsync("curl", "Subject: one\r\n\r\nfirst body\r\n.dot line\r\n");
        await _app.DeliverAsync("curl", "Subject: two\r\n\r\nsecond body\r\n");
        var files = _app.Messages("curl").Select(Crlf).ToList();
        Assert.Equal(2, files.Count);

        await _app.ImaplibAsync($"""
            m = imaps("{user}")
            ok(m.create("Lists"))
            m.logout()
            """);
        var listing = await CurlAsync($"imaps://127.0.0.1:{_app.ImapsPort}/", "-u", $"{user}:pw");
        var names = listing.Split("\r\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(line => Regex.Match(line, "^\\* LIST \\([^)]*\\) \"/\" \"?([^\"]*)\"?$").Groups[1].Value).Order(StringComparer.Ordinal);
        Assert.Equal(["Drafts", "INBOX", "Junk", "Lists", "Sent", "Trash"], names);

        // The message with UID 1 is the first delivered (each delivery waited for the previous one).
        var first = Path.Combine(_app.Root, "curl-1.eml");
        await CurlAsync($"imaps://127.0.0.1:{_app.ImapsPort}/INBOX;UID=1", "-u", $"{user}:pw", "-o", first);
        var expected = files.Single(f => f.Contains("Subject: one", StringComparison.Ordinal));
        Assert.Equal(expected, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(first)));

        // STARTTLS on the plain port (required with --ssl-reqd), and a section of the second message.
        var second = files.Single(f => f.Contains("Subject: two", StringComparison.Ordinal));
        var whole = await CurlAsync("--ssl-reqd", $"imap://127.0.0.1:{_app.ImapPort}/INBOX;UID=2", "-u", $"{user}:pw");
        Assert.Equal(second, whole);
        var text = await CurlAsync("--ssl-reqd", $"imap://127.0.0.1:{_app.ImapPort}/INBOX;UID=2;SECTION=TEXT", "-u", $"{user}:pw");
        Assert.Equal("second body\r\n", text);

        // A search through curl's custom request.
        var search = await CurlAsync($"imaps://127.0.0.1:{_app.ImapsPort}/INBOX", "-u", $"{user}:pw", "-X", "UID SEARCH SUBJECT two");
        Assert.Equal("* SEARCH 2\r\n", search);
    }

    [Fact]
    public async Task Is_refused_plaintext_login_without_tls()
    {
        var user = await _app.UserAsync("curlplain");
        var (exit, output) = await ImapClientFixture.RunAsync("curl", ["-sS", "--max-time", "30", $"imap://127.0.0.1:{_app.ImapPort}/", "-u", $"{user}:pw"]);
        Assert.NotEqual(0, exit);
        Assert.Contains("curl: (", output, StringComparison.Ordinal);
    }
}
