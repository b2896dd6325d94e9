using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MailAppliance.Testing;

namespace MailAppliance.Web.Tests;

/// <summary>
/// Every decision of the flow is a report event (INTERFACE.md "Reports"), read back with the real <c>report</c> verb
/// while <c>serve</c> runs: a refusal at RCPT with its reply, an accepted message, its local delivery with the folder,
/// and <c>--follow</c> printing a delivery within a second of the event.
/// </summary>
public sealed class ReportEventTests : IClassFixture<WebFixture>
{
    private readonly WebFixture _app;

    public ReportEventTests(WebFixture app) => _app = app;

    /// <summary>The events <c>report KIND --json</c> lists, waiting (up to 10 s) until <paramref name="until"/> holds.</summary>
    private async Task<List<JsonObject>> ReportAsync(string arguments, Func<List<JsonObject>, bool> until)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var result = await _app.Cli.RunAsync($"report {arguments} --json");
            Assert.True(result.ExitCode == 0, result.ToString());
            var events = JsonNode.Parse(result.Output)!.AsArray().Select(e => e!.AsObject()).ToList();
            if (until(events) || watch.Elapsed > TimeSpan.FromSeconds(10))
            {
                return events;
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_refused_recipient_is_a_rejected_event_with_stage_reply_and_client()
    {
        await _app.RejectedRecipientAsync("someone@example.net", "nobody-here@example.test");
        var events = await ReportAsync("rejected --domain example.test", e => e.Any(x => (string?)x["recipient"] == "nobody-here@example.test"));
        var rejected = Assert.Single(events, e => (string?)e["recipient"] == "nobody-here@example.test");
        Assert.Equal("rejected", (string?)rejected["kind"]);
        Assert.Equal("rcpt", (string?)rejected["stage"]);
        Assert.Equal("someone@example.net", (string?)rejected["sender"]);
        Assert.StartsWith("550 5.1.1", (string?)rejected["reply"], StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", (string?)rejected["clientIp"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", (string?)rejected["time"]);
    }

    [Fact]
    public async Task An_accepted_message_then_its_delivery_are_events_with_queue_id_and_folder()
    {
        var queueId = await _app.SendAsync("carol@example.net", "alice@example.test", "report me");
        var events = await ReportAsync("all --user alice@example.test", e => e.Any(x => (string?)x["queueId"] == queueId && (string?)x["kind"] == "delivered"));
        var mine = events.Where(e => (string?)e["queueId"] == queueId).ToList();
        var accepted = Assert.Single(mine, e => (string?)e["kind"] == "accepted");
        Assert.Equal("carol@example.net", (string?)accepted["sender"]);
        Assert.Equal("alice@example.test", (string?)accepted["recipient"]);
        Assert.StartsWith("250 2.0.0 Ok: queued as " + queueId, (string?)accepted["reply"], StringComparison.Ordinal);
        var delivered = Assert.Single(mine, e => (string?)e["kind"] == "delivered");
        Assert.Equal("INBOX", (string?)delivered["folder"]);
        Assert.Equal("alice@example.test", (string?)delivered["user"]);
        Assert.True(mine.IndexOf(accepted) < mine.IndexOf(delivered), "oldest first");

        // The table form: one event a line under a header.
        var table = await _app.Cli.RunAsync($"report delivered --user alice@example.test --since 1h");
        Assert.Equal(0, table.ExitCode);
        Assert.StartsWith("TIME", table.Output, StringComparison.Ordinal);
        Assert.Contains(queueId, table.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_follow_prints_a_delivery_within_a_second_of_the_event()
    {
        // A first delivery, listed by --since when the follower starts: seeing it means the follower is running.
        var first = await _app.SendAsync("dave@example.net", "alice@example.test", "before following");
        await ReportAsync("delivered --user alice@example.test", e => e.Any(x => (string?)x["queueId"] == first));
        var start = CliRunner.ProcessStart(["--config", _app.Cli.ConfigFile, "report", "delivered", "--follow", "--json", "--user", "alice@example.test", "--since", "1h"]);
        using var follow = Process.Start(start)!;
        try
        {
            var lines = System.Threading.Channels.Channel.CreateUnbounded<(string Line, DateTimeOffset At)>();
            _ = Task.Run(async () =>
            {
                while (await follow.StandardOutput.ReadLineAsync() is { } line)
                {
                    await lines.Writer.WriteAsync((line, DateTimeOffset.UtcNow));
                }
            });

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (JsonNode.Parse((await lines.Reader.ReadAsync(timeout.Token)).Line)!["queueId"]?.GetValue<string>() != first)
            {
            }

            var queueId = await _app.SendAsync("dave@example.net", "alice@example.test", "follow me");
            while (true)
            {
                var (line, at) = await lines.Reader.ReadAsync(timeout.Token);
                var e = JsonNode.Parse(line)!.AsObject();
                if ((string?)e["queueId"] != queueId)
                {
                    continue;
                }

                Assert.Equal("delivered", (string?)e["kind"]);
                var written = DateTimeOffset.Parse((string)e["time"]!, System.Globalization.CultureInfo.InvariantCulture);
                var lag = at - written;
                Assert.True(lag < TimeSpan.FromSeconds(1), $"the delivery was shown {lag.TotalMilliseconds:0} ms after its event");
                break;
            }
        }
        finally
        {
            follow.Kill(entireProcessTree: true);
            await follow.WaitForExitAsync();
        }
    }
}
