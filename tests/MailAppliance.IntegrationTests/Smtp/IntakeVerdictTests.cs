using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>
/// The intake pipeline runs end to end in serve: the HELO and header checks score a hand-made message before its 250,
/// the verdict travels with the message through the spool, and the transaction's summary log line names it.
/// </summary>
public sealed class IntakeVerdictTests : IClassFixture<ApplianceFixture>
{
    private readonly ApplianceFixture _app;

    public IntakeVerdictTests(ApplianceFixture app) => _app = app;

    [Fact]
    public async Task A_hand_made_message_is_scored_before_its_250_and_still_delivered()
    {
        var add = await _app.Cli.RunAsync("user add verdict@example.test --password-stdin", "pw\n");
        Assert.True(add.ExitCode == 0, add.ToString());
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO localhost");
        await smtp.Expect("250");
        await smtp.Send("MAIL FROM:<sender@example.net>");
        await smtp.Expect("250");
        await smtp.Send("RCPT TO:<verdict@example.test>");
        await smtp.Expect("250");
        await smtp.Send("DATA");
        await smtp.Expect("354");
        await smtp.Send("Subject: no date, no id\r\n\r\nbody\r\n.");
        var queueId = (await smtp.Expect("250 2.0.0 Ok: queued as "))["250 2.0.0 Ok: queued as ".Length..].Trim();

        Assert.EndsWith("Subject: no date, no id\r\n\r\nbody\r\n", await File.ReadAllTextAsync(Assert.Single(await _app.MessagesAsync("verdict"))), StringComparison.Ordinal);
        var summary = Assert.Single(_app.Serve.OutputLines, l => l.Contains(queueId, StringComparison.Ordinal) && l.Contains("Accepted", StringComparison.Ordinal));
        foreach (var symbol in new[] { "HELO_NOT_FQDN", "MISSING_DATE", "MISSING_FROM", "MISSING_MID" })
        {
            Assert.Contains(symbol, summary, StringComparison.Ordinal);
        }

        // Each finding once, though the header check and the scanner's rules both see a missing Date: and Message-ID.
        var symbols = System.Text.Json.JsonDocument.Parse(summary).RootElement.GetProperty("Symbols").GetString()!.Split(',');
        Assert.Equal(symbols.Distinct().Count(), symbols.Length);

        // The HELO and header checks' findings with the scanner's own (its rules see the same tells).
        Assert.Matches("\"Score\":\"[0-9]+\\.[0-9]\"", summary);
        Assert.Contains("X-Spam-Status: ", await File.ReadAllTextAsync(Assert.Single(await _app.MessagesAsync("verdict"))), StringComparison.Ordinal);
        Assert.Contains("\"MailFrom\":\"sender@example.net\"", summary, StringComparison.Ordinal);
    }
}
