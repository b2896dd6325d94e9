using System.Diagnostics;
using System.Text.Json.Nodes;
using MailAppliance.Testing;

namespace MailAppliance.Web.Tests;

/// <summary>A serve with a rule that scores 7 (spam at the default tag threshold 5, under the reject threshold 15) and forwards discarded from 6.</summary>
public sealed class SpamReportFixture : WebFixture
{
    protected override void Configure(Dictionary<string, object> config)
    {
        var rules = Path.Combine(Root, "rules.cf");
        File.WriteAllText(rules, "header SCORE_SEVEN Subject =~ /score seven/\nscore SCORE_SEVEN 7.0\n");
        config["Spam"] = new { RulesFile = rules };
        config["Forwarding"] = new { DiscardThreshold = 6.0 };
    }
}

/// <summary>
/// Spam reports show what scoring decided for each recipient: the score and ham/spam verdict of accepted messages and
/// of their deliveries (into Junk), refusals as spam with the score, and forwards discarded as spam with their target,
/// score and threshold ("forwarded spam is discarded and reported").
/// </summary>
public sealed class SpamReportTests : IClassFixture<SpamReportFixture>
{
    private const string Gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
    private readonly SpamReportFixture _app;

    public SpamReportTests(SpamReportFixture app) => _app = app;

    private async Task<string> SendAsync(string to, string subject, string body = "Hello there, see you soon.")
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.sender.test");
        await smtp.Expect("250");
        await smtp.Send("MAIL FROM:<carol@sender.test>");
        await smtp.Expect("250");
        await smtp.Send($"RCPT TO:<{to}>");
        await smtp.Expect("250");
        await smtp.Send("DATA");
        await smtp.Expect("354");
        await smtp.Send($"From: <carol@sender.test>\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{Guid.NewGuid():N}@sender.test>\r\n\r\n{body}\r\n.");
        var reply = await smtp.ReadReplyAsync();
        await smtp.Send("QUIT");
        return reply;
    }

    private static string QueueId(string reply) => reply["250 2.0.0 Ok: queued as ".Length..].Trim();

    /// <summary>The events <c>report all --json</c> lists for a user, waiting (up to 20 s) until <paramref name="until"/> holds.</summary>
    private async Task<List<JsonObject>> EventsAsync(string user, Func<List<JsonObject>, bool> until)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var result = await _app.Cli.RunAsync($"report all --user {user} --json");
            Assert.True(result.ExitCode == 0, result.ToString());
            var events = JsonNode.Parse(result.Output)!.AsArray().Select(e => e!.AsObject()).ToList();
            if (until(events))
            {
                return events;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), string.Join("\n", events));
            await Task.Delay(100);
        }
    }

    private static JsonObject One(List<JsonObject> events, string queueId, string kind) =>
        Assert.Single(events, e => (string?)e["queueId"] == queueId && (string?)e["kind"] == kind);

    [Fact]
    public async Task Accepted_and_delivered_events_carry_each_recipients_score_and_verdict()
    {
        var spam = QueueId(await SendAsync("alice@example.test", "score seven"));
        var ham = QueueId(await SendAsync("alice@example.test", "lunch on friday"));
        var events = await EventsAsync("alice@example.test",
            e => e.Any(x => (string?)x["queueId"] == spam && (string?)x["kind"] == "delivered") && e.Any(x => (string?)x["queueId"] == ham && (string?)x["kind"] == "delivered"));

        var accepted = One(events, spam, "accepted");
        Assert.Equal("spam", (string?)accepted["verdict"]);
        Assert.True((double)accepted["score"]! >= 7.0, accepted.ToJsonString());
        Assert.Contains(accepted["symbols"]!.AsArray(), s => (string?)s!["name"] == "SCORE_SEVEN");
        var delivered = One(events, spam, "delivered");
        Assert.Equal("Junk", (string?)delivered["folder"]);
        Assert.Equal("spam", (string?)delivered["verdict"]);
        Assert.Equal((double)accepted["score"]!, (double)delivered["score"]!);

        var hamAccepted = One(events, ham, "accepted");
        Assert.Equal("ham", (string?)hamAccepted["verdict"]);
        Assert.True((double)hamAccepted["score"]! < 5.0, hamAccepted.ToJsonString());
        Assert.Equal("ham", (string?)One(events, ham, "delivered")["verdict"]);
        Assert.Equal("INBOX", (string?)One(events, ham, "delivered")["folder"]);
    }

    [Fact]
    public async Task A_message_refused_as_spam_is_a_rejected_event_with_its_score()
    {
        var reply = await SendAsync("alice@example.test", "gtube", Gtube);
        Assert.StartsWith("550 5.7.1", reply, StringComparison.Ordinal);
        var events = await EventsAsync("alice@example.test", e => e.Any(x => (string?)x["kind"] == "rejected" && (string?)x["stage"] == "data"));
        var rejected = Assert.Single(events, x => (string?)x["kind"] == "rejected" && (string?)x["stage"] == "data");
        Assert.Equal("spam", (string?)rejected["verdict"]);
        Assert.True((double)rejected["score"]! >= 1000, rejected.ToJsonString());
        Assert.Contains(rejected["symbols"]!.AsArray(), s => (string?)s!["name"] == "GTUBE");
    }

    [Fact]
    public async Task A_forward_discarded_as_spam_is_reported_with_target_score_and_threshold()
    {
        await _app.Ok("user add fwd@example.test");
        await _app.Ok("user forward fwd@example.test friend@remote.test --keep");
        var queueId = QueueId(await SendAsync("fwd@example.test", "score seven"));
        var events = await EventsAsync("fwd@example.test", e => e.Any(x => (string?)x["queueId"] == queueId && (string?)x["kind"] == "discarded"));

        var discarded = One(events, queueId, "discarded");
        Assert.Equal("fwd@example.test", (string?)discarded["recipient"]);
        Assert.Equal("friend@remote.test", (string?)discarded["target"]);
        Assert.Equal("spam", (string?)discarded["verdict"]);
        Assert.True((double)discarded["score"]! >= 7.0, discarded.ToJsonString());
        Assert.Equal(6.0, (double)discarded["threshold"]!);
        Assert.StartsWith("forward to friend@remote.test discarded as spam: score ", (string?)discarded["reason"], StringComparison.Ordinal);

        // The kept copy is delivered into the user's Junk and reported beside the discard.
        await EventsAsync("fwd@example.test", e => e.Any(x => (string?)x["queueId"] == queueId && (string?)x["kind"] == "delivered"));
        var table = await _app.Cli.RunAsync("report discarded --user fwd@example.test");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("score ", table.Output, StringComparison.Ordinal);
        Assert.Contains("/6.0", table.Output, StringComparison.Ordinal);
    }
}
