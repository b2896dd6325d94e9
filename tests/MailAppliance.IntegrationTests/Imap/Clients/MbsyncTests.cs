using System.Text;
using System.Text.RegularExpressions;

namespace MailAppliance.IntegrationTests.Imap.Clients;

/// <summary>
/// mbsync (isync) against the real appliance over IMAPS, verifying the server's self-signed certificate: a two-way
/// sync with a local maildir, idempotent second runs, and deletions both ways.
/// </summary>
public sealed class MbsyncTests : IClassFixture<ImapClientFixture>
{
    private readonly ImapClientFixture _app;

    public MbsyncTests(ImapClientFixture app) => _app = app;

    private static string Lf(byte[] bytes) => Encoding.Latin1.GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>A message as mbsync keeps it, without the X-TUID header it adds to find messages it stored.</summary>
    private static string WithoutTuid(string message) => Regex.Replace(message, "^X-TUID: [^\n]*\n", "", RegexOptions.Multiline);

    /// <summary>Every file under the local maildir (name → content), except mbsync's own state.</summary>
    private static SortedDictionary<string, string> Tree(string root) =>
        new(Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith(".mbsync", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Lf(File.ReadAllBytes(f))), StringComparer.Ordinal);

    private static List<string> Messages(string maildir) =>
        new[] { "new", "cur" }.Select(d => Path.Combine(maildir, d)).Where(Directory.Exists).SelectMany(Directory.GetFiles).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Syncs_both_ways_idempotently_and_propagates_flags_and_deletions()
    {
        var user = await _app.UserAsync("mbsync");
        await _app.DeliverAsync("mbsync", "Subject: one\r\n\r\nfirst body\r\n", "Subject: two\r\n\r\nsecond body\r\n");
        await _app.ImaplibAsync($"""
            m = imaps("{user}")
            ok(m.create("Work"))
            ok(m.append("Work", "(\\Flagged)", None, b"Subject: work\r\n\r\nin a folder\r\n"))
            m.logout()
            """);

        var home = Path.Combine(_app.Root, "mbsync");
        var local = Path.Combine(home, "Mail");
        Directory.CreateDirectory(local);
        var config = Path.Combine(home, "mbsyncrc");
        await File.WriteAllTextAsync(config, $"""
            IMAPAccount appliance
            Host 127.0.0.1
            Port {_app.ImapsPort}
            User {user}
            Pass pw
            SSLType IMAPS
            CertificateFile {_app.CertificateFile}
            SystemCertificates no

            IMAPStore remote
            Account appliance

            MaildirStore local
            Path {local}/
            Inbox {local}/INBOX
            SubFolders Verbatim

            Channel appliance
            Far :remote:
            Near :local:
            Patterns *
            Create Both
            Expunge Both
            Sync All
            SyncState *

            """);

        async Task<string> Sync()
        {
            var (exit, output) = await ImapClientFixture.RunAsync("env", [$"HOME={home}", "mbsync", "-c", config, "-a"], timeout: TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, output);
            return output;
        }

        // Server → local: what SMTP delivered, with the same bytes (mbsync stores LF line ends), and the folder.
        await Sync();
        var inbox = Path.Combine(local, "INBOX");
        var serverFiles = _app.Messages("mbsync").Select(f => Lf(File.ReadAllBytes(f))).Order(StringComparer.Ordinal).ToList();
        var localFiles = Messages(inbox).Select(f => WithoutTuid(Lf(File.ReadAllBytes(f)))).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(serverFiles.Count, localFiles.Count);
        foreach (var (server, near) in serverFiles.Zip(localFiles))
        {
            Assert.Equal(server, near);
        }

        var work = Assert.Single(Messages(Path.Combine(local, "Work")));
        Assert.Equal("Subject: work\n\nin a folder\n", WithoutTuid(Lf(File.ReadAllBytes(work))));
        Assert.EndsWith(",F", work, StringComparison.Ordinal);

        // A second run with nothing changed changes nothing, here or there.
        var before = Tree(local);
        await Sync();
        Assert.Equal(before, Tree(local));
        Assert.Equal(2, _app.Messages("mbsync").Count);

        // Local → server: a new message in the local maildir, and flags set on a synced one.
        var added = "From: me@example.test\nSubject: from the laptop\n\nwritten locally\n";
        await File.WriteAllTextAsync(Path.Combine(inbox, "new", $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.M1P1.laptop"), added);
        var one = Messages(inbox).Single(f => File.ReadAllText(f).Contains("Subject: one", StringComparison.Ordinal));
        var flagged = Path.Combine(inbox, "cur", Path.GetFileName(one).Split(":2,")[0] + ":2,FS");
        File.Move(one, flagged);
        await Sync();
        await _app.ImaplibAsync($$"""
            m = imaps("{{user}}")
            eq(ok(m.select("INBOX")), [b"3"])
            data = [d for d in ok(m.fetch("1:*", "(FLAGS BODY.PEEK[])")) if isinstance(d, tuple)]
            by_subject = {re.search(rb"^Subject: (.*)\r$", d[1], re.M).group(1).decode(): d for d in data}
            eq(sorted(by_subject), ["from the laptop", "one", "two"])
            # mbsync adds an X-TUID header to each message it copies (both ways); the rest is what was written.
            eq(re.sub(rb"X-TUID: [^\r]*\r\n", b"", by_subject["from the laptop"][1]), b"From: me@example.test\r\nSubject: from the laptop\r\n\r\nwritten locally\r\n")
            assert b"\\Flagged" in by_subject["one"][0] and b"\\Seen" in by_subject["one"][0], by_subject["one"][0]
            assert b"\\Flagged" not in by_subject["two"][0], by_subject["two"][0]
            m.logout()
            """);

        // Nothing changed again: a third run leaves both sides alone.
        before = Tree(local);
        await Sync();
        Assert.Equal(before, Tree(local));
        Assert.Equal(3, _app.Messages("mbsync").Count);

        // Deletions: one message removed locally, another expunged on the server; each disappears on the other side.
        var two = Messages(inbox).Single(f => File.ReadAllText(f).Contains("Subject: two", StringComparison.Ordinal));
        File.Delete(two);
        await _app.ImaplibAsync($$"""
            m = imaps("{{user}}")
            ok(m.select("INBOX"))
            n = ok(m.search(None, "SUBJECT", "laptop"))[0]
            ok(m.store(n, "+FLAGS.SILENT", "(\\Deleted)"))
            ok(m.expunge())
            m.logout()
            """);
        await Sync();
        var left = Assert.Single(Messages(inbox));
        Assert.Contains("Subject: one", File.ReadAllText(left), StringComparison.Ordinal);
        await _app.ImaplibAsync($$"""
            m = imaps("{{user}}")
            eq(ok(m.select("INBOX")), [b"1"])
            assert b"Subject: one" in ok(m.fetch("1", "(BODY.PEEK[HEADER])"))[0][1]
            m.logout()
            """);
        before = Tree(local);
        await Sync();
        Assert.Equal(before, Tree(local));
    }
}
