using System.Net;
using System.Net.Sockets;
using System.Text;
using MailAppliance.Pipeline.Scoring;
using MailAppliance.Pipeline.Scoring.Checks;
using MailAppliance.Pipeline.Scoring.Rules;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Pipeline.Tests.Scoring;

/// <summary>Virus scanning through a real clamd's INSTREAM, and what happens when clamd is missing or hangs.</summary>
public sealed class ClamdTests(ClamdFixture clamd) : IClassFixture<ClamdFixture>
{
    private static byte[] WithAttachment(string content) => Encoding.ASCII.GetBytes(
        "From: a@sender.test\r\nTo: bob@example.test\r\nSubject: the file\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <x@sender.test>\r\n" +
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" +
        "--b1\r\nContent-Type: application/octet-stream; name=\"file.com\"\r\nContent-Disposition: attachment; filename=\"file.com\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
        Convert.ToBase64String(Encoding.ASCII.GetBytes(content)) + "\r\n--b1--\r\n");

    private SpamScanner Scanner(string clamdEndpoint, TimeSpan? budget = null)
    {
        Assert.True(ClamdClient.TryParseEndpoint(clamdEndpoint, out var endpoint));
        return new SpamScanner(new SpamOptions { TimeBudget = budget ?? TimeSpan.FromSeconds(10) }, RulesSource.BuiltInOnly(), null, null,
            new ClamdClient(endpoint!), null, TimeProvider.System, NullLogger.Instance, "mx.example.test", _ => false);
    }

    [Fact]
    public async Task An_attachment_carrying_the_signature_is_found_in_the_mail()
    {
        Assert.True(ClamdClient.TryParseEndpoint(clamd.SocketPath, out var endpoint));
        using var infected = new MemoryStream(WithAttachment(ClamdFixture.Eicar));
        var result = await new ClamdClient(endpoint!).ScanAsync(infected, 25 * 1024 * 1024, CancellationToken.None);
        Assert.True(result.Infected, result.ToString());
        Assert.StartsWith(ClamdFixture.SignatureName, result.Virus, StringComparison.Ordinal);

        using var clean = new MemoryStream(WithAttachment("just some harmless bytes"));
        Assert.Equal(new ClamdResult(false, null, null), await new ClamdClient(endpoint!).ScanAsync(clean, 25 * 1024 * 1024, CancellationToken.None));
    }

    [Fact]
    public async Task The_scanner_says_virus_and_names_it()
    {
        using var message = new MemoryStream(WithAttachment(ClamdFixture.Eicar));
        var scan = await Scanner("unix:" + clamd.SocketPath).ScanAsync(message, ScanEnvelope.None, null, [null], ScanMode.Check, CancellationToken.None);
        Assert.True(scan.IsVirus);
        Assert.True(scan.RejectAll);
        Assert.StartsWith(ClamdFixture.SignatureName, scan.Virus, StringComparison.Ordinal);
        Assert.Contains("CLAMD_VIRUS", scan.Recipients[0].Symbols.Select(s => s.Name));
    }

    [Fact]
    public async Task Intake_refuses_an_infected_message_with_554_naming_the_virus()
    {
        var bytes = WithAttachment(ClamdFixture.Eicar);
        var check = new MailAppliance.Pipeline.Checks.SpamCheck(Scanner("unix:" + clamd.SocketPath), null, (_, _) => Task.FromResult<string?>(null),
            "mx.example.test", TimeSpan.FromSeconds(1), TimeProvider.System, NullLogger.Instance);
        var result = await check.CheckAsync(MailAppliance.Pipeline.Stages.SmtpStage.Data, new MailAppliance.Pipeline.Stages.CheckContext
        {
            ClientAddress = IPAddress.Parse("192.0.2.7"),
            Helo = "sender.test",
            MailFrom = "a@sender.test",
            Recipients = ["bob@example.test"],
            OpenMessage = _ => Task.FromResult<Stream>(new MemoryStream(bytes)),
            MessageSize = bytes.Length,
        }, CancellationToken.None);
        Assert.Equal(MailAppliance.Pipeline.Stages.CheckAction.Reject, result.Action);
        Assert.Equal(554, result.Code);
        Assert.Contains(ClamdFixture.SignatureName, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_clamd_is_a_temperror_and_the_message_is_still_scored()
    {
        using var message = new MemoryStream(Messages.Plain("hello\n" + Messages.Gtube));
        var scan = await Scanner(Path.Combine(clamd.Directory, "no-such.sock")).ScanAsync(message, ScanEnvelope.None, null, [null], ScanMode.Check, CancellationToken.None);
        Assert.False(scan.IsVirus);
        Assert.Contains(new SpamSymbol("CLAMD_TEMPERROR", 0), scan.Recipients[0].Symbols);
        Assert.Contains("GTUBE", scan.Recipients[0].Symbols.Select(s => s.Name));
    }

    [Fact]
    public async Task A_clamd_that_never_answers_costs_no_more_than_the_budget()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = listener.AcceptSocketAsync(); // accepts, reads nothing, answers nothing
        using var message = new MemoryStream(Messages.Plain("hello"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var scan = await Scanner($"127.0.0.1:{port}", TimeSpan.FromMilliseconds(700)).ScanAsync(message, ScanEnvelope.None, null, [null], ScanMode.Check, CancellationToken.None);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
        Assert.Contains(new SpamSymbol("CLAMD_TEMPERROR", 0), scan.Recipients[0].Symbols);
        (await accepted).Dispose();
    }
}
