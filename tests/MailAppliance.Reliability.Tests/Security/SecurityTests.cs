using System.Text;
using MailAppliance.Reliability.Tests.Hostile;
using MailAppliance.Testing;
using Xunit.Abstractions;

namespace MailAppliance.Reliability.Tests.Security;

/// <summary>
/// The security review as tests against a real serve with the production defaults (no plaintext authentication):
/// credentials only over TLS, an open-relay battery, TLS 1.2 or later only, private file modes. The systemd unit's
/// hardening is checked by scripts/reliability.sh with <c>systemd-analyze security</c>.
/// </summary>
public sealed class SecurityTests(ApplianceFixture app, ITestOutputHelper output) : IClassFixture<ApplianceFixture>
{
    private static readonly string PlainCredentials = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0alice@example.test\0pw"));

    [Fact]
    public async Task Credentials_are_refused_before_tls_on_every_listener()
    {
        await using (var smtp = await SmtpClientScript.ConnectAsync(app.SubmissionPort))
        {
            await smtp.Send("EHLO client.example");
            var ehlo = await smtp.Expect("250");
            Assert.DoesNotContain("AUTH", ehlo, StringComparison.Ordinal);
            await smtp.Send($"AUTH PLAIN {PlainCredentials}");
            await smtp.Expect("5");
            await smtp.Send("MAIL FROM:<alice@example.test>");
            await smtp.Expect("5"); // submission without AUTH: refused, and AUTH needs TLS first
            await smtp.Send("STARTTLS");
            await smtp.Expect("220");
            await smtp.UpgradeToTlsAsync();
            await smtp.Send("EHLO client.example");
            Assert.Contains("AUTH", await smtp.Expect("250"), StringComparison.Ordinal);
            await smtp.Send($"AUTH PLAIN {PlainCredentials}");
            await smtp.Expect("235");
        }

        await using (var mx = await SmtpClientScript.ConnectAsync(app.SmtpPort))
        {
            await mx.Send("EHLO client.example");
            Assert.DoesNotContain("AUTH", await mx.Expect("250"), StringComparison.Ordinal);
        }

        await using (var imap = await HostileClient.ConnectAsync(app.ImapPort))
        {
            Assert.Contains("LOGINDISABLED", await imap.ReadUntilAsync(@"^\* OK"), StringComparison.Ordinal);
            await imap.SendAsync($"a LOGIN alice@example.test pw\r\nb AUTHENTICATE PLAIN {PlainCredentials}\r\n");
            Assert.NotNull(await imap.ReadUntilAsync("^a (NO|BAD)"));
            Assert.NotNull(await imap.ReadUntilAsync("^b (NO|BAD)"));
        }

        await using (var pop3 = await HostileClient.ConnectAsync(app.Pop3Port))
        {
            await pop3.ReadUntilAsync(@"^\+OK");
            await pop3.SendAsync($"USER alice@example.test\r\nAUTH PLAIN {PlainCredentials}\r\n");
            Assert.NotNull(await pop3.ReadUntilAsync("^-ERR"));
            Assert.NotNull(await pop3.ReadUntilAsync("^-ERR"));
        }
    }

    /// <summary>
    /// Open-relay battery on the MX listener, unauthenticated: every trick that might make us forward to another
    /// domain (RFC 5321 source routes, the %-hack, bang paths, quoted local parts, address literals, SRS-looking
    /// addresses we did not sign) is refused at RCPT with a 5xx; nothing is queued.
    /// </summary>
    [Theory]
    [InlineData("victim@example.net")]
    [InlineData("victim@EXAMPLE.NET")]
    [InlineData("victim@example.net.")]
    [InlineData("victim%example.net@example.test")]
    [InlineData("example.net!victim@example.test")]
    [InlineData("\"victim@example.net\"@example.test")]
    [InlineData("\"victim%example.net\"@example.test")]
    [InlineData("@example.test:victim@example.net")]
    [InlineData("@example.test,@example.org:victim@example.net")]
    [InlineData("victim@[127.0.0.1]")]
    [InlineData("victim@[IPv6:::1]")]
    [InlineData("victim@example.test@example.net")]
    [InlineData("SRS0=HHHH=TT=example.net=victim@example.test")]
    [InlineData("SRS0=abcd=ZZ=example.net=victim@example.test")]
    [InlineData("SRS1=HHHH=example.org==HHHH=TT=example.net=victim@example.test")]
    [InlineData("srs0=HHHH=TT=example.net=victim@example.test")]
    [InlineData("postmaster@example.net")]
    [InlineData("victim@localhost")]
    [InlineData("victim@mx.example.test")]
    public async Task The_mx_listener_relays_nothing(string recipient)
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(app.SmtpPort);
        await smtp.Send("EHLO relay-test.example");
        await smtp.Expect("250");
        await smtp.Send("MAIL FROM:<spammer@example.org>");
        await smtp.Expect("250");
        await smtp.Send($"RCPT TO:<{recipient}>");
        var reply = await smtp.ReadReplyAsync();
        Assert.True(reply.StartsWith('5'), $"RCPT TO:<{recipient}> answered {reply}");
        await smtp.Send("DATA");
        await smtp.Expect("5"); // no valid recipient: nothing to queue
    }

    [Theory]
    [InlineData("Imaps")]
    [InlineData("Submissions")]
    [InlineData("Pop3s")]
    public async Task Only_tls_1_2_and_later_are_spoken(string listener)
    {
        var port = listener switch { "Imaps" => app.ImapsPort, "Submissions" => app.SubmissionsPort, _ => app.Pop3sPort };
        async Task<string> Handshake(string version, string? cipher = null)
        {
            string[] arguments = ["s_client", "-connect", $"127.0.0.1:{port}", version, .. cipher is null ? Array.Empty<string>() : ["-cipher", cipher]];
            var (_, text) = await ApplianceFixture.RunAsync("openssl", arguments, "Q\n", TimeSpan.FromSeconds(30));
            return text;
        }

        // openssl prints "New, TLSv1.3, Cipher is X" for a session it made, "New, (NONE), Cipher is (NONE)" otherwise.
        Assert.Contains("New, TLSv1.3, Cipher is TLS_", await Handshake("-tls1_3"), StringComparison.Ordinal);
        Assert.Contains("New, TLSv1.2, Cipher is ECDHE-", await Handshake("-tls1_2"), StringComparison.Ordinal);

        // The client is told to allow the old versions (security level 0), so a refusal is the server's.
        foreach (var old in new[] { "-tls1_1", "-tls1" })
        {
            var text = await Handshake(old, "DEFAULT:@SECLEVEL=0");
            Assert.Contains("Cipher is (NONE)", text, StringComparison.Ordinal);
        }

        // TLS 1.2 offers no suite without forward secrecy (static RSA key exchange, 3DES, RC4, NULL).
        var weak = await Handshake("-tls1_2", "AES128-SHA:AES256-SHA:AES128-GCM-SHA256:DES-CBC3-SHA:RC4-SHA:NULL-SHA:@SECLEVEL=0");
        output.WriteLine($"{listener}, static-RSA suites offered: {(weak.Contains("Cipher is (NONE)", StringComparison.Ordinal) ? "refused" : "accepted")}");
        Assert.Contains("Cipher is (NONE)", weak, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_and_keys_are_private_to_the_service()
    {
        await using (var smtp = await SmtpClientScript.ConnectAsync(app.SmtpPort))
        {
            await smtp.Send("EHLO client.example");
            await smtp.Expect("250");
            await smtp.Send("MAIL FROM:<a@example.net>\r\nRCPT TO:<alice@example.test>\r\nDATA");
            await smtp.Expect("250");
            await smtp.Expect("250");
            await smtp.Expect("354");
            await smtp.Send("Subject: modes\r\n\r\nprivate\r\n.");
            await smtp.Expect("250");
        }

        await app.MessagesAsync("alice");
        await app.Ok("dkim generate example.test --selector modes");
        var loose = new List<string>();
        foreach (var tree in new[] { "mail", "spool", "dkim", "tls" })
        {
            var root = Path.Combine(app.DataDirectory, tree);
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root))
            {
                var mode = File.GetUnixFileMode(entry);
                var isDirectory = Directory.Exists(entry);
                if (entry.EndsWith(".crt", StringComparison.Ordinal))
                {
                    continue; // a certificate is public; its key is not
                }

                if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
                {
                    loose.Add($"{Path.GetRelativePath(app.DataDirectory, entry)} {(isDirectory ? "dir" : "file")} {Convert.ToString((int)mode, 8)}");
                }
            }
        }

        output.WriteLine(loose.Count == 0 ? "every file 0600 or tighter, every directory 0700 or tighter" : string.Join('\n', loose));
        Assert.True(loose.Count == 0, $"readable by others than the service:\n{string.Join('\n', loose.Take(20))}");
    }
}
