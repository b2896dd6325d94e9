using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Pop3;

/// <summary>Third-party POP3 clients against the real appliance: curl and fetchmail (keep and delete modes).</summary>
public sealed partial class Pop3ClientTests : IClassFixture<Pop3ApplianceFixture>
{
    private readonly Pop3ApplianceFixture _app;

    public Pop3ClientTests(Pop3ApplianceFixture app) => _app = app;

    private static string Crlf(string path) =>
        Encoding.Latin1.GetString(File.ReadAllBytes(path)).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);

    [Fact]
    public async Task Curl_lists_over_stls_and_retrieves_over_pop3s()
    {
        var user = await _app.UserAsync("curl");
        await _app.DeliverAsync("curl", "Subject: curl\r\n\r\nhello\r\n.dot line\r\n");
        var file = Assert.Single(_app.Messages("curl"));
        var expected = Crlf(file);

        var (exit, listing) = await ApplianceFixture.RunAsync("curl", ["-sS", "--max-time", "30", "--ssl-reqd", "-k", $"pop3://127.0.0.1:{_app.Pop3Port}/", "-u", $"{user}:pw"]);
        Assert.True(exit == 0, listing);
        Assert.Equal($"1 {expected.Length}\r\n", listing);

        var output = Path.Combine(_app.Root, "curl.eml");
        (exit, var log) = await ApplianceFixture.RunAsync("curl", ["-sS", "--max-time", "30", "-k", $"pop3s://127.0.0.1:{_app.Pop3sPort}/1", "-u", $"{user}:pw", "-o", output]);
        Assert.True(exit == 0, log);
        Assert.Equal(expected, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(output)));
    }

    [Fact]
    public async Task Curl_is_refused_plaintext_login_without_tls()
    {
        var user = await _app.UserAsync("curlplain");
        var (exit, output) = await ApplianceFixture.RunAsync("curl", ["-sS", "--max-time", "30", $"pop3://127.0.0.1:{_app.Pop3Port}/", "-u", $"{user}:pw"]);
        Assert.NotEqual(0, exit);
        Assert.Contains("curl: (", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetchmail_in_keep_mode_downloads_each_message_once()
    {
        var user = await _app.UserAsync("fetch");
        await _app.DeliverAsync("fetch", "Subject: f1\r\n\r\none\r\n", "Subject: f2\r\n\r\ntwo\r\n");
        var fetchmail = await Fetchmail.CreateAsync(_app, user, "fetchmail", "keep");

        var (exit, output) = await fetchmail.RunAsync();
        Assert.True(exit == 0, output);
        var first = await File.ReadAllTextAsync(fetchmail.Mbox);
        Assert.Contains("Subject: f1", first, StringComparison.Ordinal);
        Assert.Contains("Subject: f2", first, StringComparison.Ordinal);

        // fetchmail exits 1 when there was no new mail.
        (exit, output) = await fetchmail.RunAsync();
        Assert.True(exit == 1, output);
        Assert.Equal(first, await File.ReadAllTextAsync(fetchmail.Mbox));
        Assert.Equal(2, _app.Messages("fetch").Count);
    }

    [Fact]
    public async Task Fetchmail_in_delete_mode_empties_the_maildrop()
    {
        var user = await _app.UserAsync("fetchdel");
        var sent = new[] { "Subject: d1\r\n\r\none\r\n", "Subject: d2\r\n\r\ntwo\r\n", "Subject: d3\r\n\r\nthree\r\n.dot\r\n" };
        await _app.DeliverAsync("fetchdel", sent);
        var stored = _app.Messages("fetchdel").Select(Crlf).ToList();
        Assert.Equal(sent.Length, stored.Count);
        // No "keep": fetchmail sends DELE for each message it delivered and QUIT, the UPDATE state removes them.
        var fetchmail = await Fetchmail.CreateAsync(_app, user, "fetchmail-delete", "no keep");

        var (exit, output) = await fetchmail.RunAsync();
        Assert.True(exit == 0, output);
        // fetchmail adds a Received field of its own (after the Return-Path when there is one): leave it out.
        var mbox = FetchmailReceived().Replace((await File.ReadAllTextAsync(fetchmail.Mbox)).Replace("\r\n", "\n", StringComparison.Ordinal), string.Empty);
        foreach (var message in stored)
        {
            // The mda gets each message as stored, in LF form (fetchmail strips the CRs).
            Assert.Contains(message.Replace("\r\n", "\n", StringComparison.Ordinal), mbox, StringComparison.Ordinal);
        }

        Assert.Empty(_app.Messages("fetchdel"));
        var (statExit, stat) = await Pop3ApplianceFixture.Python($"""
            import poplib, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            p = poplib.POP3_SSL("127.0.0.1", {_app.Pop3sPort}, context=ctx, timeout=30)
            p.user("{user}"); p.pass_("pw")
            print(p.stat())
            p.quit()
            """);
        Assert.True(statExit == 0, stat);
        Assert.Equal("(0, 0)", stat.Trim());

        (exit, output) = await fetchmail.RunAsync();
        Assert.True(exit == 1, output);
        Assert.Equal(mbox, FetchmailReceived().Replace((await File.ReadAllTextAsync(fetchmail.Mbox)).Replace("\r\n", "\n", StringComparison.Ordinal), string.Empty));
    }

    [Fact]
    public async Task Curl_retrieves_a_large_message_streamed_in_many_chunks()
    {
        var user = await _app.UserAsync("large");
        var (exit, output) = await Pop3ApplianceFixture.Python($$"""
            import smtplib
            body = "".join(("." if i % 7 == 0 else "") + "line %06d of a large message, with some padding to fill it up\r\n" % i for i in range(30000))
            s = smtplib.SMTP("127.0.0.1", {{_app.SmtpPort}}, timeout=60)
            s.sendmail("sender@example.net", ["{{user}}"], ("Subject: large\r\n\r\n" + body).encode())
            s.quit()
            """);
        Assert.True(exit == 0, output);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (_app.Messages("large").Count == 0 && watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        var expected = Crlf(Assert.Single(_app.Messages("large")));
        Assert.True(expected.Length > 1_500_000, expected.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var file = Path.Combine(_app.Root, "large.eml");
        (exit, output) = await ApplianceFixture.RunAsync("curl", ["-sS", "--max-time", "60", "-k", $"pop3s://127.0.0.1:{_app.Pop3sPort}/1", "-u", $"{user}:pw", "-o", file]);
        Assert.True(exit == 0, output);
        Assert.Equal(expected, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)));
    }

    [GeneratedRegex(@"^Received: from 127\.0\.0\.1 .*\n(?:[ \t].*\n)*", RegexOptions.Multiline)]
    private static partial Regex FetchmailReceived();

    /// <summary>A fetchmail set-up of its own (rc file, id file, mbox that its mda appends to) for one user.</summary>
    private sealed record Fetchmail(string Home, string Rc, string Mbox)
    {
        public static async Task<Fetchmail> CreateAsync(Pop3ApplianceFixture app, string user, string name, string keepOption)
        {
            var home = Path.Combine(app.Root, name);
            Directory.CreateDirectory(home);
            var mbox = Path.Combine(home, "mbox");
            var rc = Path.Combine(home, "fetchmailrc");
            await File.WriteAllTextAsync(rc, $"""
                set no syslog
                set idfile "{home}/fetchids"
                poll 127.0.0.1 protocol pop3 port {app.Pop3sPort} uidl:
                  user "{user}" there with password "pw" is "root" here
                  options {keepOption} ssl no sslcertck mda "cat >> {mbox}"
                """);
            File.SetUnixFileMode(rc, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return new Fetchmail(home, rc, mbox);
        }

        public Task<(int ExitCode, string Output)> RunAsync() => ApplianceFixture.RunAsync(
            "env", [$"FETCHMAILHOME={Home}", "fetchmail", "--nodetach", "-f", Rc, "--pidfile", Path.Combine(Home, "pid")], timeout: TimeSpan.FromSeconds(60));
    }
}
