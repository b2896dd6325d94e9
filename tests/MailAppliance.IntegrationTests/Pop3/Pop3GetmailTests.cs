using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Pop3;

/// <summary>
/// getmail6 leaving mail on the server (<c>read_all = false</c>): it remembers the UIDLs it has seen in its oldmail
/// file, so a UIDL that changed after a restart or a reconstruct would make it download everything again.
/// </summary>
public sealed class Pop3GetmailTests : IClassFixture<Pop3ApplianceFixture>
{
    private readonly Pop3ApplianceFixture _app;

    public Pop3GetmailTests(Pop3ApplianceFixture app) => _app = app;

    private static string Message(int n) =>
        $"From: sender@example.net\r\nTo: alice@example.test\r\nSubject: getmail {n}\r\nMessage-ID: <getmail-{n}@example.net>\r\n\r\nbody of {n}\r\n.leading dot {n}\r\n";

    [Fact]
    public async Task Getmail_downloads_each_message_once_across_restart_and_reconstruct()
    {
        const int count = 5;
        var sent = Enumerable.Range(1, count).Select(Message).ToList();
        await _app.DeliverAsync("alice", sent.ToArray());

        var home = Path.Combine(_app.Root, "getmail");
        var destination = Path.Combine(home, "Maildir");
        foreach (var sub in new[] { "cur", "new", "tmp" })
        {
            Directory.CreateDirectory(Path.Combine(destination, sub));
        }

        // getmail refuses to run an external MDA as root unless told that this is intended.
        var allowRoot = Environment.IsPrivilegedProcess ? "allow_root_commands = true" : "";

        // The destination is a Maildir written by a small MDA (tmp/ then rename into new/), not getmail's own
        // Maildir type: getmail 6.18 installs its SIGCHLD handler only after fork(), so a delivery child that exits
        // first is never reaped and getmail hangs until its timeout (seen under load). The MDA waits a moment first.
        var rc = Path.Combine(home, "getmailrc");
        await File.WriteAllTextAsync(rc, $"""
            [retriever]
            type = SimplePOP3SSLRetriever
            server = 127.0.0.1
            port = {_app.Pop3sPort}
            username = alice@example.test
            password = pw

            [destination]
            type = MDA_external
            path = /bin/sh
            arguments = ("-c", "sleep 0.3; f=$(date +%s).P$$.getmail; cat > \"$0/tmp/$f\" && mv \"$0/tmp/$f\" \"$0/new/$f\"", "{destination}")
            {allowRoot}

            [options]
            read_all = false
            delete = false
            delivered_to = false
            received = false
            verbose = 1
            """);

        Assert.Equal(count, await GetmailAsync(rc, home, destination));
        var downloaded = Downloaded(destination);
        Assert.Equal(count, downloaded.Count);
        // What the client got is what was sent, after the trace fields the appliance adds on delivery, and the
        // stored file in CRLF form.
        var stored = _app.Messages("alice").Select(f => Crlf(File.ReadAllBytes(f))).Order(StringComparer.Ordinal).ToList();
        var got = downloaded.Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < Math.Min(stored.Count, got.Count); i++)
        {
            var at = stored[i].Zip(got[i]).TakeWhile(p => p.First == p.Second).Count();
            Assert.True(stored[i] == got[i], $"message {i} differs at {at}: stored «{stored[i][Math.Max(0, at - 80)..Math.Min(stored[i].Length, at + 80)]}» got «{got[i][Math.Max(0, at - 80)..Math.Min(got[i].Length, at + 80)]}»");
        }

        Assert.Equal(stored, got);
        foreach (var message in sent)
        {
            Assert.Single(downloaded, d => d.EndsWith("\r\n" + message, StringComparison.Ordinal));
        }

        Assert.Equal(0, await GetmailAsync(rc, home, destination));

        await _app.KillAndRestartAsync();
        Assert.Equal(0, await GetmailAsync(rc, home, destination));

        var reconstruct = await _app.Cli.RunAsync("reconstruct --user alice@example.test");
        Assert.True(reconstruct.ExitCode == 0, reconstruct.ToString());
        Assert.Equal(0, await GetmailAsync(rc, home, destination));

        var late = Message(count + 1);
        await _app.DeliverAsync("alice", late);
        Assert.Equal(1, await GetmailAsync(rc, home, destination));
        var all = Downloaded(destination);
        Assert.Equal(count + 1, all.Count);
        Assert.Single(all, d => d.EndsWith("\r\n" + late, StringComparison.Ordinal));
        Assert.Equal(count + 1, _app.Messages("alice").Count);
    }

    /// <summary>Runs getmail once and returns how many messages it added to the destination maildir.</summary>
    private static async Task<int> GetmailAsync(string rc, string home, string destination)
    {
        var before = Downloaded(destination).Count;
        var (exit, output) = await ApplianceFixture.RunAsync(
            "getmail", ["--rcfile", rc, "--getmaildir", home], timeout: TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, output);
        return Downloaded(destination).Count - before;
    }

    /// <summary>
    /// The messages in getmail's destination in CRLF form (getmail hands them over with LF line ends), without the
    /// Return-Path field getmail puts first for an external MDA (there is no envelope sender in POP3).
    /// </summary>
    private static List<string> Downloaded(string maildir) =>
        new[] { "new", "cur" }.SelectMany(d => Directory.GetFiles(Path.Combine(maildir, d)))
            .Select(f => Crlf(File.ReadAllBytes(f)))
            .Select(m => m.StartsWith("Return-Path: <unknown>\r\n", StringComparison.Ordinal) ? m[(m.IndexOf('\n', StringComparison.Ordinal) + 1)..] : m)
            .ToList();

    private static string Crlf(byte[] file) =>
        Encoding.Latin1.GetString(file).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
}
