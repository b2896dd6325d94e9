using System.Diagnostics;
using System.Text.Json.Nodes;
using MailAppliance.Testing;

namespace MailAppliance.Web.Tests;

/// <summary>
/// INTERFACE.md "Logs", read from serve's own stdout: one JSON summary line per SMTP transaction (with
/// <c>MailFrom</c> and <c>Recipients</c>, also for one that ends without a message) and one per delivery attempt (with
/// <c>Recipient</c>, <c>Status</c> and <c>Result</c>), <c>Component</c>, <c>SessionId</c>, <c>RemoteEndpoint</c>,
/// <c>QueueId</c> at the top level, and <c>User</c> only where there is one.
/// </summary>
public sealed class LogSummaryTests : IClassFixture<WebFixture>
{
    private readonly WebFixture _app;

    public LogSummaryTests(WebFixture app) => _app = app;

    /// <summary>The JSON lines serve wrote that match, waiting (up to 20 s) for at least one.</summary>
    private async Task<List<JsonObject>> LinesAsync(Func<JsonObject, bool> match)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var lines = _app.Serve.OutputLines.Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!.AsObject()).Where(match).ToList();
            if (lines.Count > 0)
            {
                return lines;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "no such line in:\n" + string.Join('\n', _app.Serve.OutputLines.TakeLast(40)));
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task An_smtp_transaction_and_each_delivery_attempt_have_one_summary_line()
    {
        var queueId = await _app.SendAsync("olga@sender.test", "alice@example.test", "logged");

        var transaction = Assert.Single(await LinesAsync(l => (string?)l["QueueId"] == queueId && l["MailFrom"] is not null));
        Assert.Equal("Accepted", (string?)transaction["Outcome"]);
        Assert.Equal("olga@sender.test", (string?)transaction["MailFrom"]);
        Assert.Equal(["alice@example.test"], transaction["Recipients"]!.AsArray().Select(r => (string?)r).ToList());
        Assert.Equal("Smtp", (string?)transaction["Component"]);
        Assert.False(string.IsNullOrEmpty((string?)transaction["SessionId"]));
        Assert.StartsWith("127.0.0.1:", (string?)transaction["RemoteEndpoint"], StringComparison.Ordinal);
        Assert.StartsWith("250 2.0.0 Ok: queued as " + queueId, (string?)transaction["Reply"], StringComparison.Ordinal);
        Assert.False(transaction.ContainsKey("User"), "no User where nobody authenticated: " + transaction.ToJsonString());
        Assert.Equal("Information", (string?)transaction["Level"]);

        var delivery = Assert.Single(await LinesAsync(l => (string?)l["QueueId"] == queueId && l["Status"] is not null));
        Assert.Equal("alice@example.test", (string?)delivery["Recipient"]);
        Assert.Equal("delivered", (string?)delivery["Status"]);
        Assert.Equal("Smtp", (string?)delivery["Component"]);
        Assert.False(string.IsNullOrEmpty((string?)delivery["Result"]));
    }

    [Fact]
    public async Task A_transaction_that_ends_without_a_message_has_its_summary_line_too()
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.example.net");
        await smtp.Expect("250");
        await smtp.Send("MAIL FROM:<pavel@sender.test>");
        await smtp.Expect("250");
        await smtp.Send("RCPT TO:<nobody-here@example.test>");
        await smtp.Expect("550 5.1.1");
        await smtp.Send("RCPT TO:<alice@example.test>");
        await smtp.Expect("250");
        await smtp.Send("RSET");
        await smtp.Expect("250");
        await smtp.Send("QUIT");

        var ended = Assert.Single(await LinesAsync(l => (string?)l["MailFrom"] == "pavel@sender.test"));
        Assert.Equal("Ended", (string?)ended["Outcome"]);
        Assert.Equal(["alice@example.test"], ended["Recipients"]!.AsArray().Select(r => (string?)r).ToList());
        Assert.Contains("<nobody-here@example.test> 550 5.1.1", (string?)ended["Results"], StringComparison.Ordinal);
        Assert.False(ended.ContainsKey("QueueId"), "no queue id without a message: " + ended.ToJsonString());
    }
}
