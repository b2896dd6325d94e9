using System.Globalization;
using System.Text;
using System.Text.Json;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Storage.Dkim;
using MailAppliance.Testing;
using MailAppliance.Testing.Dns;
using MailAppliance.Testing.Peers;
using MailAppliance.Storage.Database;

namespace MailAppliance.Tests.Cli;

/// <summary>
/// <c>dkim generate</c> and <c>dns records</c> as the command line runs them, against a real database; and the key
/// they make signing mail that Debian's dkimverify accepts from the record <c>dns records</c> printed.
/// </summary>
public sealed class DkimAndDnsVerbsTests : IAsyncLifetime
{
    private string _directory = "";
    private string _connectionString = "";
    private CliRunner _cli = null!;

    public async Task InitializeAsync()
    {
        _directory = TestDirectories.Create("dkimcli");
        _connectionString = await TestCluster.CreateDatabaseAsync();
        _cli = CliRunner.WithConfig(_directory, new
        {
            Hostname = "mail.example.test",
            ConnectionStrings = new { Metadata = _connectionString },
            Storage = new { DataDirectory = Path.Combine(_directory, "data") },
            Listeners = new { Submission = "127.0.0.1:2587", Submissions = "127.0.0.1:2465", Imap = "", Imaps = "127.0.0.1:2993", Pop3 = "", Pop3s = "" },
        });
        Assert.Equal(0, (await _cli.RunAsync("domain add example.test")).ExitCode);
    }

    public Task DisposeAsync()
    {
        TestDirectories.Delete(_directory);
        return Task.CompletedTask;
    }

    private async Task<CliResult> Ok(string arguments)
    {
        var result = await _cli.RunAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
        return result;
    }

    [Fact]
    public async Task Generate_makes_an_RSA_key_with_todays_selector_and_prints_its_record()
    {
        var today = DateTime.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var line = (await Ok("dkim generate Example.TEST")).Output.TrimEnd('\n');
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith($"{today}._domainkey.example.test. 3600 IN TXT \"v=DKIM1; k=rsa; p=", line, StringComparison.Ordinal);
        var strings = QuotedStrings(line[line.IndexOf('"', StringComparison.Ordinal)..]);
        Assert.True(strings.Count >= 2);
        Assert.All(strings, s => Assert.True(Encoding.UTF8.GetByteCount(s) <= 255));

        var keyFile = Path.Combine(_directory, "data", "dkim", "example.test", today + ".key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        var (algorithm, _) = DkimKeys.ReadPrivateKey(await File.ReadAllTextAsync(keyFile));
        Assert.Equal(DkimKeyAlgorithm.Rsa, algorithm);

        var again = await _cli.RunAsync("dkim generate example.test");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal($"error: example.test already has a DKIM key with selector {today} (choose another with --selector)\n", again.Error);
    }

    [Fact]
    public async Task Generate_takes_a_selector_and_ed25519_and_speaks_JSON()
    {
        using var json = JsonDocument.Parse((await Ok("dkim generate example.test --selector ed1 --algorithm ed25519 --json")).Output);
        var root = json.RootElement;
        Assert.Equal("example.test", root.GetProperty("domain").GetString());
        Assert.Equal("ed1", root.GetProperty("selector").GetString());
        Assert.Equal("ed25519-sha256", root.GetProperty("algorithm").GetString());
        Assert.Equal("ed1._domainkey.example.test.", root.GetProperty("name").GetString());
        Assert.StartsWith("v=DKIM1; k=ed25519; p=", root.GetProperty("value").GetString(), StringComparison.Ordinal);

        Assert.Equal(2, (await _cli.RunAsync("dkim generate example.test --algorithm dsa")).ExitCode);
        Assert.Equal(2, (await _cli.RunAsync("dkim generate example.test --selector bad_selector")).ExitCode);
        var unknown = await _cli.RunAsync("dkim generate other.test");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("unknown domain other.test", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_lists_what_to_publish()
    {
        await Ok("dkim generate example.test --selector rsa1");
        await Ok("dkim generate example.test --selector ed1 --algorithm ed25519");
        var lines = (await Ok("dns records example.test")).Output.TrimEnd('\n').Split('\n');

        Assert.Equal("example.test. 3600 IN MX 10 mail.example.test.", lines[0]);
        Assert.Equal("example.test. 3600 IN TXT \"v=spf1 mx -all\"", lines[1]);
        Assert.Contains("mail.example.test. 3600 IN TXT \"v=spf1 a -all\"", lines);
        Assert.Contains(lines, l => l.StartsWith("rsa1._domainkey.example.test. 3600 IN TXT \"v=DKIM1; k=rsa; p=", StringComparison.Ordinal) && l.Contains("\" \"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("ed1._domainkey.example.test. 3600 IN TXT \"v=DKIM1; k=ed25519; p=", StringComparison.Ordinal));
        Assert.Contains("_dmarc.example.test. 3600 IN TXT \"v=DMARC1; p=quarantine; adkim=r; aspf=r; rua=mailto:postmaster@example.test\"", lines);
        Assert.Contains(lines, l => l.StartsWith("_mta-sts.example.test. 3600 IN TXT \"v=STSv1; id=", StringComparison.Ordinal));
        Assert.Contains("_smtp._tls.example.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@example.test\"", lines);
        Assert.Contains("_submissions._tcp.example.test. 3600 IN SRV 0 1 2465 mail.example.test.", lines);
        Assert.Contains("_submission._tcp.example.test. 3600 IN SRV 10 1 2587 mail.example.test.", lines);
        Assert.Contains("_imaps._tcp.example.test. 3600 IN SRV 0 1 2993 mail.example.test.", lines);
        Assert.Contains("_imap._tcp.example.test. 3600 IN SRV 0 0 0 .", lines);
        Assert.Contains("_pop3._tcp.example.test. 3600 IN SRV 0 0 0 .", lines);
        Assert.Contains("autoconfig.example.test. 3600 IN CNAME mail.example.test.", lines);
        Assert.Contains("mta-sts.example.test. 3600 IN CNAME mail.example.test.", lines);

        using var json = JsonDocument.Parse((await Ok("dns records example.test --json")).Output);
        var records = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(lines.Length, records.Count);
        var dkim = records.Single(r => r.GetProperty("name").GetString() == "rsa1._domainkey.example.test.");
        Assert.Equal("TXT", dkim.GetProperty("type").GetString());
        Assert.Equal(3600, dkim.GetProperty("ttl").GetInt32());
        var value = dkim.GetProperty("value").GetString()!;
        Assert.True(value.Length > 255);
        Assert.DoesNotContain("\"", value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generated_key_signs_mail_that_dkimverify_accepts_from_the_printed_record()
    {
        await Ok("dkim generate example.test --selector live");
        await using var dns = LoopbackDnsServer.Start();
        var line = (await Ok("dns records example.test")).Output.Split('\n').Single(l => l.StartsWith("live._domainkey.", StringComparison.Ordinal));
        // Publish exactly what was printed: the quoted strings, as the zone file would.
        dns.TxtStrings("live._domainkey.example.test", [.. QuotedStrings(line[line.IndexOf('"', StringComparison.Ordinal)..])]);

        await using var database = StorageDatabase.Create(_connectionString);
        var service = new DkimSigningService(new StoredDkimKeys(new DkimKeyStore(database)));
        var message = Encoding.ASCII.GetBytes("From: Alice <alice@example.test>\r\nTo: bob@other.test\r\nSubject: hello\r\nDate: Sun, 01 Mar 2026 12:00:00 +0000\r\nMessage-ID: <m1@example.test>\r\n\r\nHi Bob.\r\n");
        var outcome = await service.SignAsync(new MemoryStream(message));
        Assert.Equal(["live"], outcome.Selectors);

        var signed = Encoding.ASCII.GetBytes(outcome.Fields).Concat(message).ToArray();
        var (exit, output) = await DkimPeer.RunAsync(dns.Endpoint.Port, signed, "dkimverify");
        Assert.True(exit == 0, output);
        Assert.Contains("signature ok", output, StringComparison.Ordinal);
    }

    private static List<string> QuotedStrings(string text)
    {
        var strings = new List<string>();
        var current = new StringBuilder();
        var inside = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!inside)
            {
                inside = c == '"';
                continue;
            }

            if (c == '\\')
            {
                current.Append(text[++i]);
            }
            else if (c == '"')
            {
                strings.Add(current.ToString());
                current.Clear();
                inside = false;
            }
            else
            {
                current.Append(c);
            }
        }

        return strings;
    }
}
