using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailAppliance.IntegrationTests.Imap.Clients;

/// <summary>offlineimap (offlineimap3) against the real appliance over IMAPS, pinning the self-signed certificate.</summary>
public sealed class OfflineImapTests : IClassFixture<ImapClientFixture>
{
    private readonly ImapClientFixture _app;

    public OfflineImapTests(ImapClientFixture app) => _app = app;

    private static string Lf(byte[] bytes) => Encoding.Latin1.GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal);

    private static SortedDictionary<string, string> Tree(string root) =>
        new(Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Lf(File.ReadAllBytes(f))), StringComparer.Ordinal);

    private static List<string> Messages(string maildir) =>
        new[] { "new", "cur" }.Select(d => Path.Combine(maildir, d)).Where(Directory.Exists).SelectMany(Directory.GetFiles).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task One_shot_sync_copies_every_message_and_a_second_run_changes_nothing()
    {
        var user = await _app.UserAsync("offline");
        await _app.DeliverAsync("offline", "Subject: one\r\n\r\nfirst body\r\n", "Subject: two\r\n\r\nsecond body\r\n", "Subject: three\r\n\r\nthird body\r\n");
        await _app.ImaplibAsync($"""
            m = imaps("{user}")
            ok(m.create("Lists"))
            ok(m.append("Lists", "(\\Seen)", None, b"Subject: list mail\r\n\r\nfrom a list\r\n"))
            ok(m.select("INBOX"))
            n = ok(m.search(None, "SUBJECT", "two"))[0]
            ok(m.store(n, "+FLAGS", "(\\Seen \\Flagged)"))
            m.logout()
            """);

        var home = Path.Combine(_app.Root, "offlineimap");
        var local = Path.Combine(home, "Mail");
        Directory.CreateDirectory(local);
        var fingerprint = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(_app.CertificateFile)).GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant();
        var config = Path.Combine(home, "offlineimaprc");
        await File.WriteAllTextAsync(config, $"""
            [general]
            accounts = appliance
            metadata = {home}/metadata

            [Account appliance]
            localrepository = local
            remoterepository = remote

            [Repository local]
            type = Maildir
            localfolders = {local}

            [Repository remote]
            type = IMAP
            remotehost = 127.0.0.1
            remoteport = {_app.ImapsPort}
            remoteuser = {user}
            remotepass = pw
            ssl = yes
            cert_fingerprint = {fingerprint}

            """);

        async Task Sync()
        {
            var (exit, output) = await ImapClientFixture.RunAsync("env", [$"HOME={home}", "offlineimap", "-o", "-u", "quiet", "-c", config], timeout: TimeSpan.FromSeconds(60));
            Assert.True(exit == 0 && !output.Contains("ERROR", StringComparison.Ordinal), output);
        }

        await Sync();
        var server = _app.Messages("offline").Select(f => Lf(File.ReadAllBytes(f))).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, server.Count);
        var inbox = Messages(Path.Combine(local, "INBOX"));
        Assert.Equal(server, inbox.Select(f => Lf(File.ReadAllBytes(f))).Order(StringComparer.Ordinal).ToList());
        var two = inbox.Single(f => File.ReadAllText(f).Contains("Subject: two", StringComparison.Ordinal));
        Assert.EndsWith(":2,FS", two, StringComparison.Ordinal);
        var list = Assert.Single(Messages(Path.Combine(local, "Lists")));
        Assert.Equal("Subject: list mail\n\nfrom a list\n", Lf(File.ReadAllBytes(list)));
        Assert.EndsWith(":2,S", list, StringComparison.Ordinal);

        var before = Tree(local);
        await Sync();
        Assert.Equal(before, Tree(local));
        Assert.Equal(server, _app.Messages("offline").Select(f => Lf(File.ReadAllBytes(f))).Order(StringComparer.Ordinal).ToList());
    }
}
