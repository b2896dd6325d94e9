using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using MailAppliance.Testing;

namespace MailAppliance.Web.Tests;

/// <summary>A serve that scans through a real clamd (Debian's clamav-daemon, a signature database of the test's own).</summary>
public sealed class VirusReportFixture : WebFixture
{
    public ClamdFixture Clamd { get; } = new();

    public override async Task InitializeAsync()
    {
        await Clamd.InitializeAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Clamd.DisposeAsync();
    }

    protected override void Configure(Dictionary<string, object> config) => config["Spam"] = new { Clamd = Clamd.SocketPath };
}

/// <summary>Issue 15: an infected message is refused with 554 5.7.1 at the end of DATA, and the refusal is a report event with the virus verdict.</summary>
public sealed class VirusReportTests(VirusReportFixture app) : IClassFixture<VirusReportFixture>
{
    [Fact]
    public async Task An_infected_message_is_refused_at_DATA_and_reported_as_a_virus()
    {
        var attachment = Convert.ToBase64String(Encoding.ASCII.GetBytes(ClamdFixture.Eicar));
        await using var smtp = await SmtpClientScript.ConnectAsync(app.SmtpPort);
        await smtp.Send("EHLO client.sender.test");
        await smtp.Expect("250");
        await smtp.Send("MAIL FROM:<carol@sender.test>");
        await smtp.Expect("250");
        await smtp.Send("RCPT TO:<alice@example.test>");
        await smtp.Expect("250");
        await smtp.Send("DATA");
        await smtp.Expect("354");
        await smtp.Send("From: <carol@sender.test>\r\nTo: <alice@example.test>\r\nSubject: the file\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\n" +
            $"Message-ID: <{Guid.NewGuid():N}@sender.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
            "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b1\r\nContent-Type: application/octet-stream; name=\"file.com\"\r\n" +
            $"Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n--b1--\r\n.");
        var reply = await smtp.ReadReplyAsync();
        Assert.StartsWith("554 5.7.1", reply, StringComparison.Ordinal);
        Assert.Contains(ClamdFixture.SignatureName, reply, StringComparison.Ordinal);

        var watch = Stopwatch.StartNew();
        while (true)
        {
            var result = await app.Cli.RunAsync("report rejected --user alice@example.test --json");
            Assert.True(result.ExitCode == 0, result.ToString());
            var events = JsonNode.Parse(result.Output)!.AsArray().Select(e => e!.AsObject()).ToList();
            if (events.FirstOrDefault(e => (string?)e["stage"] == "data") is { } rejected)
            {
                Assert.Equal("virus", (string?)rejected["verdict"]);
                Assert.Contains(ClamdFixture.SignatureName, rejected.ToJsonString(), StringComparison.Ordinal);
                return;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), string.Join("\n", events));
            await Task.Delay(100);
        }
    }
}
