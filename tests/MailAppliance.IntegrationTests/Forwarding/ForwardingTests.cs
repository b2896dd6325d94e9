using System.Diagnostics;
using System.Text.Json;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Forwarding;

/// <summary>A serve with a known SRS secret, a per-destination discard threshold and a rule that scores 3.</summary>
public sealed class ForwardingFixture : ApplianceFixture
{
    public const string Secret = "tops3cr3t";

    protected override void Configure(Dictionary<string, object> config)
    {
        var secretFile = Path.Combine(Root, "srs.secret");
        File.WriteAllText(secretFile, Secret + "\n");
        var rules = Path.Combine(Root, "rules.cf");
        File.WriteAllText(rules, "header SCORE_THREE Subject =~ /score three/\nscore SCORE_THREE 3.0\n");
        config["Srs"] = new { SecretFile = secretFile };
        config["Spam"] = new { RulesFile = rules };
        config["Forwarding"] = new { DiscardThreshold = 6.0, DiscardThresholds = new Dictionary<string, double> { ["hotmail.test"] = 1.0 } };
    }
}

/// <summary>
/// Forwarding end to end through serve: `user forward`, SRS senders that Debian's Mail::SRS reverses, the way back
/// through RCPT (valid SRS relayed, forged or expired refused with 550 5.1.1), discard thresholds per destination,
/// and loops stopped (hop count, Delivered-To, forward cycles).
/// </summary>
public sealed class ForwardingTests : IClassFixture<ForwardingFixture>
{
    private const string Gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
    private readonly ForwardingFixture _app;

    public ForwardingTests(ForwardingFixture app) => _app = app;

    private async Task<string> SendAsync(string from, string to, string subject, string body = "Hello there, see you soon.", string extraHeaders = "")
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.sender.test");
        await smtp.Expect("250");
        await smtp.Send($"MAIL FROM:<{from}>");
        await smtp.Expect("250");
        await smtp.Send($"RCPT TO:<{to}>");
        var rcpt = await smtp.ReadReplyAsync();
        if (!rcpt.StartsWith("250", StringComparison.Ordinal))
        {
            return rcpt;
        }

        await smtp.Send("DATA");
        await smtp.Expect("354");
        await smtp.Send($"{extraHeaders}From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{Guid.NewGuid():N}@sender.test>\r\n\r\n{body}\r\n.");
        return await smtp.ReadReplyAsync();
    }

    private static string QueueId(string reply) => reply["250 2.0.0 Ok: queued as ".Length..].Trim();

    /// <summary>Waits until the named recipient of the message has left queued/deferred-for-routing; returns the queue show document.</summary>
    private async Task<JsonElement> WaitAsync(string queueId, Func<JsonElement, bool> done)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var show = JsonDocument.Parse((await _app.Cli.RunAsync($"queue show {queueId} --json")).Output).RootElement;
            if (done(show))
            {
                return show;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), show.ToString());
            await Task.Delay(100);
        }
    }

    private static JsonElement Row(JsonElement show, string recipient) =>
        show.GetProperty("recipients").EnumerateArray().Single(r => r.GetProperty("recipient").GetString() == recipient);

    private static bool Settled(JsonElement show, string recipient) =>
        show.GetProperty("recipients").EnumerateArray().Any(r => r.GetProperty("recipient").GetString() == recipient
            && r.GetProperty("status").GetString() is "delivered" or "bounced" or "discarded" or "forwarded");

    private static bool Has(JsonElement show, string recipient, string status) =>
        show.GetProperty("recipients").EnumerateArray().Any(r => r.GetProperty("recipient").GetString() == recipient && r.GetProperty("status").GetString() == status);

    private static async Task<string> PerlSrsAsync(string code)
    {
        var start = new ProcessStartInfo("perl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(code);
        using var perl = Process.Start(start)!;
        perl.StandardInput.Close();
        var output = await perl.StandardOutput.ReadToEndAsync();
        var error = await perl.StandardError.ReadToEndAsync();
        await perl.WaitForExitAsync();
        Assert.True(perl.ExitCode == 0, error);
        return output.Trim();
    }

    private static string MailSrs(string call, int daysAgo = 0) =>
        $"BEGIN {{ *CORE::GLOBAL::time = sub {{ CORE::time() - {daysAgo} * 86400 }}; }} use Mail::SRS; " +
        $"my $s = Mail::SRS->new(Secret => ['{ForwardingFixture.Secret}'], MaxAge => 21, HashLength => 4); print {call};";

    [Fact]
    public async Task The_forward_verb_sets_shows_and_clears_a_forward()
    {
        await _app.Ok("user add verbs@example.test");
        await _app.Ok("user forward verbs@example.test friend@remote.test other@remote.test --keep");
        var shown = await _app.Cli.RunAsync("user forward verbs@example.test --json");
        var doc = JsonDocument.Parse(shown.Output).RootElement;
        Assert.Equal(["friend@remote.test", "other@remote.test"], doc.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        Assert.True(doc.GetProperty("keep").GetBoolean());
        await _app.Ok("user forward verbs@example.test --clear");
        Assert.Contains("has no forward", (await _app.Cli.RunAsync("user forward verbs@example.test")).Output, StringComparison.Ordinal);
        Assert.NotEqual(0, (await _app.Cli.RunAsync("user forward nobody@example.test x@remote.test")).ExitCode);
    }

    [Fact]
    public async Task A_forward_is_sent_from_an_SRS_sender_that_Mail_SRS_reverses_and_spam_is_discarded_per_destination()
    {
        await _app.Ok("user add fwd@example.test");
        await _app.Ok("spam threshold reject 2000 --user fwd@example.test");
        await _app.Ok("user forward fwd@example.test friend@remote.test me@hotmail.test --keep");

        // A message scoring about 3: over hotmail.test's 1.0, under the default 6.0.
        var reply = await SendAsync("alice@origin.test", "fwd@example.test", "score three");
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);
        var show = await WaitAsync(QueueId(reply), s => s.GetProperty("recipients").GetArrayLength() == 2 && Settled(s, "fwd@example.test"));
        Assert.Equal("delivered", Row(show, "fwd@example.test").GetProperty("status").GetString());
        Assert.Contains("discarded as spam", Row(show, "fwd@example.test").GetProperty("lastResult").GetString(), StringComparison.Ordinal);
        var child = Row(show, "friend@remote.test");
        Assert.Equal("fwd@example.test", child.GetProperty("parent").GetString());
        Assert.Single(await _app.MessagesAsync("fwd", 1)); // the kept copy

        // The child row's sender is the SRS form; Debian's Mail::SRS reverses it to the original sender.
        await using (var db = Npgsql.NpgsqlDataSource.Create(_app.ConnectionString))
        {
            await using var command = db.CreateCommand("SELECT srs_sender FROM queue_recipients WHERE queue_id = $1 AND recipient = 'friend@remote.test'");
            command.Parameters.AddWithValue(QueueId(reply));
            var srsSender = (string)(await command.ExecuteScalarAsync())!;
            Assert.StartsWith("SRS0=", srsSender, StringComparison.Ordinal);
            Assert.EndsWith("=origin.test=alice@mx.example.test", srsSender, StringComparison.Ordinal);
            Assert.Equal("alice@origin.test", await PerlSrsAsync(MailSrs($"$s->reverse('{srsSender}')")));
        }

        // GTUBE scores 1000: discarded for both destinations, kept locally (the user's own policy: Junk).
        reply = await SendAsync("alice@origin.test", "fwd@example.test", "gtube", Gtube);
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);
        show = await WaitAsync(QueueId(reply), s => Settled(s, "fwd@example.test"));
        Assert.Equal(1, show.GetProperty("recipients").GetArrayLength());
        var result = Row(show, "fwd@example.test").GetProperty("lastResult").GetString()!;
        Assert.Contains("forward to friend@remote.test discarded as spam: score 1000.0 >= 6.0", result, StringComparison.Ordinal);
        Assert.Contains("forward to me@hotmail.test discarded as spam: score 1000.0 >= 1.0", result, StringComparison.Ordinal);
        Assert.Single(await _app.MessagesAsync("fwd", 1, ".Junk"));
    }

    [Fact]
    public async Task The_way_back_accepts_a_valid_SRS_address_and_refuses_forged_and_expired_ones()
    {
        var valid = await PerlSrsAsync(MailSrs("$s->forward('bob@origin.test', 'mx.example.test')"));
        Assert.StartsWith("SRS0=", valid, StringComparison.Ordinal);
        var reply = await SendAsync("", valid, "bounce", "Delivery failed.");
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);
        var show = await WaitAsync(QueueId(reply), s => Row(s, valid).GetProperty("lastResult").ValueKind == JsonValueKind.String);
        Assert.DoesNotContain("invalid SRS", Row(show, valid).GetProperty("lastResult").GetString() ?? "", StringComparison.Ordinal);
        Assert.NotEqual("bounced", Row(show, valid).GetProperty("status").GetString());

        var forged = valid[..5] + (valid[5] == 'A' ? 'B' : 'A') + valid[6..];
        Assert.StartsWith("550 5.1.1", await SendAsync("", forged, "bounce"), StringComparison.Ordinal);
        var expired = await PerlSrsAsync(MailSrs("$s->forward('bob@origin.test', 'mx.example.test')", daysAgo: 30));
        Assert.StartsWith("550 5.1.1", await SendAsync("", expired, "bounce"), StringComparison.Ordinal);
        Assert.StartsWith("550 5.1.1", await SendAsync("", "SRS0=xxxx@mx.example.test", "bounce"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loops_are_stopped_by_hop_count_Delivered_To_and_the_directory()
    {
        await _app.Ok("user add loopy@example.test");
        var received = string.Concat(Enumerable.Range(0, 51).Select(i => $"Received: from hop{i}.test by hop{i + 1}.test; Sat, 05 Dec 2026 10:00:00 +0000\r\n"));
        Assert.StartsWith("554 5.4.6 ", await SendAsync("a@origin.test", "loopy@example.test", "hops", extraHeaders: received), StringComparison.Ordinal);

        var reply = await SendAsync("a@origin.test", "loopy@example.test", "came back", extraHeaders: "Delivered-To: loopy@example.test\r\n");
        var show = await WaitAsync(QueueId(reply), s => Settled(s, "loopy@example.test"));
        Assert.Equal("bounced", Row(show, "loopy@example.test").GetProperty("status").GetString());
        Assert.Contains("5.4.6", Row(show, "loopy@example.test").GetProperty("lastResult").GetString(), StringComparison.Ordinal);

        // ping → pong → ping: the cycle is cut where it closes; ping keeps its copy, once.
        await _app.Ok("user add ping@example.test");
        await _app.Ok("user add pong@example.test");
        await _app.Ok("user forward ping@example.test pong@example.test --keep");
        await _app.Ok("user forward pong@example.test ping@example.test");
        reply = await SendAsync("a@origin.test", "ping@example.test", "cycle");
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);
        await WaitAsync(QueueId(reply), s => Has(s, "ping@example.test", "delivered"));
        Assert.Single(await _app.MessagesAsync("ping", 1));
        Assert.Empty(await _app.MessagesAsync("pong", 0));
    }
}
