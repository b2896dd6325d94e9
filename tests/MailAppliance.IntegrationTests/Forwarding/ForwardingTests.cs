using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Forwarding;

/// <summary>A serve with a known SRS secret, a per-destination discard threshold and a rule that scores 3.</summary>
public sealed class ForwardingFixture : ApplianceFixture
{
    public const string Secret = "tops3cr3t";
    private int _nextHost = 10;

    /// <summary>A plain sink (no STARTTLS) as the only MX of <paramref name="domain"/>, on its own 127.0.0.x at <c>Delivery:Port</c>.</summary>
    public SmtpSink Sink(string domain, SmtpSinkOptions? options = null)
    {
        var address = IPAddress.Parse($"127.0.0.{Interlocked.Increment(ref _nextHost)}");
        Dns.Mx(domain, 10, "mx." + domain).A("mx." + domain, address.ToString());
        return SmtpSink.Start((options ?? new SmtpSinkOptions()) with { HostName = "mx." + domain, OfferStartTls = false }, address, DeliveryPort);
    }

    protected override void Configure(Dictionary<string, object> config)
    {
        var secretFile = Path.Combine(Root, "srs.secret");
        File.WriteAllText(secretFile, Secret + "\n");
        var rules = Path.Combine(Root, "rules.cf");
        File.WriteAllText(rules, "header SCORE_THREE Subject =~ /score three/\nscore SCORE_THREE 3.0\n");
        config["Srs"] = new { SecretFile = secretFile };
        config["Spam"] = new { RulesFile = rules };
        config["Forwarding"] = new { DiscardThreshold = 6.0, PauseAfter = 2, DiscardThresholds = new Dictionary<string, double> { ["hotmail.test"] = 1.0 } };
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

    private async Task<string> SendAsync(string from, string to, string subject, string body = "Hello there, see you soon.", string extraHeaders = "", string rcptOptions = "")
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.sender.test");
        await smtp.Expect("250");
        await smtp.Send($"MAIL FROM:<{from}>");
        await smtp.Expect("250");
        await smtp.Send($"RCPT TO:<{to}>{rcptOptions}");
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

    /// <summary>The targets and thresholds of the message's forwards discarded as spam, as <c>report discarded --json</c> lists them (waiting for <paramref name="count"/>).</summary>
    private async Task<List<(string Target, double Threshold)>> DiscardedAsync(string queueId, int count)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var events = JsonDocument.Parse((await _app.Cli.RunAsync("report discarded --user fwd@example.test --json")).Output).RootElement
                .EnumerateArray().Where(e => e.GetProperty("queueId").GetString() == queueId)
                .Select(e => (e.GetProperty("target").GetString()!, e.GetProperty("threshold").GetDouble())).OrderBy(e => e.Item1, StringComparer.Ordinal).ToList();
            if (events.Count >= count)
            {
                return events;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"{events.Count} discarded events for {queueId}");
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
        Assert.Equal([("me@hotmail.test", 1.0)], await DiscardedAsync(QueueId(reply), 1)); // reported, remote.test not

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
        Assert.Equal([("friend@remote.test", 6.0), ("me@hotmail.test", 1.0)], await DiscardedAsync(QueueId(reply), 2));
    }

    [Fact]
    public async Task A_sender_already_rewritten_gets_SRS1_and_a_sender_of_our_own_domains_is_not_rewritten()
    {
        await _app.Ok("user add chain@example.test");
        await _app.Ok("user add local-sender@example.test");
        await _app.Ok("user forward chain@example.test onward@remote.test");

        async Task<string?> ForwardSenderAsync(string from)
        {
            var reply = await SendAsync(from, "chain@example.test", "hop");
            Assert.StartsWith("250 ", reply, StringComparison.Ordinal);
            await WaitAsync(QueueId(reply), s => s.GetProperty("recipients").GetArrayLength() == 2);
            await using var db = Npgsql.NpgsqlDataSource.Create(_app.ConnectionString);
            await using var command = db.CreateCommand("SELECT srs_sender FROM queue_recipients WHERE queue_id = $1 AND recipient = 'onward@remote.test'");
            command.Parameters.AddWithValue(QueueId(reply));
            return await command.ExecuteScalarAsync() as string;
        }

        // Forwarded on by another forwarder already (SRS0 of theirs): SRS1 keeping the first forwarder's part, which
        // Debian's Mail::SRS reverses to that SRS0 address.
        var srs1 = await ForwardSenderAsync("SRS0=abcd=XY=origin.test=alice@first-forwarder.test");
        Assert.StartsWith("SRS1=", srs1, StringComparison.Ordinal);
        Assert.EndsWith("=first-forwarder.test==abcd=XY=origin.test=alice@mx.example.test", srs1, StringComparison.Ordinal);
        Assert.Equal("SRS0=abcd=XY=origin.test=alice@first-forwarder.test", await PerlSrsAsync(MailSrs($"$s->reverse('{srs1}')")));

        // A sender of one of our own domains passes SPF for us as it is: no rewrite (no srs_sender, the row leaves from it).
        Assert.Null(await ForwardSenderAsync("local-sender@example.test"));
    }

    [Fact]
    public async Task A_sieve_redirect_to_another_domain_leaves_from_the_SRS_sender_and_a_keep_stays()
    {
        await using var peer = _app.Sink("redirect-peer.test");
        await _app.Ok("user add redirector@example.test");
        var file = Path.Combine(_app.Root, $"redirect-{Guid.NewGuid():N}.sieve");
        await File.WriteAllTextAsync(file, "require \"copy\"; redirect :copy \"someone@redirect-peer.test\";");
        await _app.Ok($"sieve put redirector@example.test main {file}");
        await _app.Ok("sieve activate redirector@example.test main");

        var reply = await SendAsync("dave@sender-b.test", "redirector@example.test", "redirect me");
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);

        var arrived = Assert.Single(await peer.WaitForMessagesAsync(1));
        var srs = arrived.MailFrom["MAIL FROM:<".Length..arrived.MailFrom.IndexOf('>', StringComparison.Ordinal)];
        Assert.StartsWith("SRS0=", srs, StringComparison.Ordinal);
        Assert.Equal("dave@sender-b.test", await PerlSrsAsync(MailSrs($"$s->reverse('{srs}')")));
        Assert.StartsWith("RCPT TO:<someone@redirect-peer.test>", Assert.Single(arrived.RcptTo), StringComparison.Ordinal);
        Assert.Contains("Subject: redirect me", arrived.Text, StringComparison.Ordinal);
        Assert.Single(await _app.MessagesAsync("redirector", 1)); // :copy keeps it too
    }

    [Fact]
    public async Task A_forward_leaves_for_the_targets_MX_from_its_SRS_sender_and_the_parent_is_settled_forwarded()
    {
        await using var peer = _app.Sink("peer.test");
        await _app.Ok("user add relayed@example.test");
        await _app.Ok("user forward relayed@example.test friend@peer.test");
        var reply = await SendAsync("carol@sender-a.test", "relayed@example.test", "forward me");
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);

        // RFC 5321 §3.9: the forwarder's reverse-path is the SRS form of the sender (ours), which Mail::SRS reverses.
        var arrived = Assert.Single(await peer.WaitForMessagesAsync(1));
        Assert.StartsWith("MAIL FROM:<SRS0=", arrived.MailFrom, StringComparison.Ordinal);
        var srs = arrived.MailFrom["MAIL FROM:<".Length..arrived.MailFrom.IndexOf('>', StringComparison.Ordinal)];
        Assert.EndsWith("=sender-a.test=carol@mx.example.test", srs, StringComparison.Ordinal);
        Assert.Equal("carol@sender-a.test", await PerlSrsAsync(MailSrs($"$s->reverse('{srs}')")));
        var rcpt = Assert.Single(arrived.RcptTo);
        Assert.StartsWith("RCPT TO:<friend@peer.test>", rcpt, StringComparison.Ordinal);
        Assert.Contains("ORCPT=rfc822;relayed@example.test", rcpt, StringComparison.Ordinal);
        Assert.Contains("Subject: forward me", arrived.Text, StringComparison.Ordinal);

        var show = await WaitAsync(QueueId(reply), s => Settled(s, "friend@peer.test"));
        Assert.Equal("forwarded", Row(show, "relayed@example.test").GetProperty("status").GetString());
        Assert.Equal("delivered", Row(show, "friend@peer.test").GetProperty("status").GetString());
        Assert.Empty(await _app.MessagesAsync("relayed", 0));
    }

    [Fact]
    public async Task A_forward_the_target_refuses_bounces_to_the_original_sender_naming_the_forwarding_user_not_the_target()
    {
        await using var home = _app.Sink("dsn-home.test");
        await using var refusing = _app.Sink("refuse.test", new SmtpSinkOptions
        {
            Reply = (verb, _) => verb == "RCPT" ? "550 5.1.1 <friend@refuse.test>: Recipient address rejected: User unknown in local recipient table" : null,
        });
        await _app.Ok("user add bouncy@example.test");
        await _app.Ok("user forward bouncy@example.test friend@refuse.test");
        var reply = await SendAsync("dave@dsn-home.test", "bouncy@example.test", "will bounce");
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);

        // The DSN goes to the original sender (where the SRS sender leads back), from <>.
        var dsn = Assert.Single(await home.WaitForMessagesAsync(1));
        Assert.StartsWith("MAIL FROM:<>", dsn.MailFrom, StringComparison.Ordinal);
        Assert.StartsWith("RCPT TO:<dave@dsn-home.test>", Assert.Single(dsn.RcptTo), StringComparison.Ordinal);
        var text = dsn.Text;
        Assert.Contains("Content-Type: message/delivery-status", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Final-Recipient: rfc822; bouncy@example.test", text, StringComparison.Ordinal);
        Assert.Contains("Original-Recipient: rfc822; bouncy@example.test", text, StringComparison.Ordinal);
        Assert.Contains("Action: failed", text, StringComparison.Ordinal);
        Assert.Contains("Status: 5.1.1", text, StringComparison.Ordinal);
        Assert.Contains("User unknown", text, StringComparison.Ordinal);
        // Where the user sends their mail on stays theirs: neither the target nor its domain's MX is named.
        Assert.DoesNotContain("refuse.test", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Subject: will bounce", text, StringComparison.Ordinal);

        var show = await WaitAsync(QueueId(reply), s => Settled(s, "friend@refuse.test"));
        Assert.Equal("forwarded", Row(show, "bouncy@example.test").GetProperty("status").GetString());
        Assert.Equal("bounced", Row(show, "friend@refuse.test").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Sieve_reject_and_a_Delivered_To_loop_send_the_sender_a_DSN_unless_the_sender_is_null_or_asked_for_none()
    {
        await using var home = _app.Sink("dsn-sieve.test");
        await _app.Ok("user add rejecting@example.test");
        await _app.Ok("user add looping@example.test");
        var script = Path.Combine(_app.Root, $"reject-{Guid.NewGuid():N}.sieve");
        await File.WriteAllTextAsync(script, "require \"reject\";\nif header :contains \"subject\" \"offer\" { reject \"No offers, thank you.\"; }\n");
        await _app.Ok($"sieve put rejecting@example.test main {script}");
        await _app.Ok("sieve activate rejecting@example.test main");

        // RFC 5429 §2.1: reject refuses with a DSN to the envelope sender.
        var reply = await SendAsync("frank@dsn-sieve.test", "rejecting@example.test", "A great offer");
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);
        var dsn = Assert.Single(await home.WaitForMessagesAsync(1));
        Assert.StartsWith("MAIL FROM:<>", dsn.MailFrom, StringComparison.Ordinal);
        Assert.Contains("Final-Recipient: rfc822; rejecting@example.test", dsn.Text, StringComparison.Ordinal);
        Assert.Contains("Action: failed", dsn.Text, StringComparison.Ordinal);
        Assert.Contains("Status: 5.7.1", dsn.Text, StringComparison.Ordinal);
        Assert.Contains("No offers, thank you.", dsn.Text, StringComparison.Ordinal);

        // Neither from the null sender nor with NOTIFY=NEVER: settled as bounced, no DSN.
        var fromNull = QueueId(await SendAsync("", "looping@example.test", "null loop", extraHeaders: "Delivered-To: looping@example.test\r\n"));
        var never = QueueId(await SendAsync("frank@dsn-sieve.test", "looping@example.test", "never loop", extraHeaders: "Delivered-To: looping@example.test\r\n", rcptOptions: " NOTIFY=NEVER"));
        await WaitAsync(fromNull, s => Has(s, "looping@example.test", "bounced"));
        await WaitAsync(never, s => Has(s, "looping@example.test", "bounced"));

        // A Delivered-To loop (the message came back to a mailbox it was delivered to) bounces with 5.4.6.
        reply = await SendAsync("frank@dsn-sieve.test", "looping@example.test", "came back", extraHeaders: "Delivered-To: looping@example.test\r\n");
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);
        var messages = await home.WaitForMessagesAsync(2);
        Assert.Equal(2, messages.Count);
        var loop = messages[1].Text;
        Assert.Contains("Final-Recipient: rfc822; looping@example.test", loop, StringComparison.Ordinal);
        Assert.Contains("Status: 5.4.6", loop, StringComparison.Ordinal);
        Assert.Contains("Subject: came back", loop, StringComparison.Ordinal);
        Assert.DoesNotContain(messages, m => m.Text.Contains("never loop", StringComparison.Ordinal) || m.Text.Contains("null loop", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_forward_its_destination_refuses_as_spam_PauseAfter_times_in_a_row_pauses_and_mail_stays_in_the_mailbox()
    {
        await using var strict = _app.Sink("spamcheck.test", new SmtpSinkOptions
        {
            Reply = (verb, _) => verb == "." ? "550 5.7.1 Message rejected as spam by content filter" : null,
        });
        await _app.Ok("user add pausing@example.test");
        await _app.Ok("user forward pausing@example.test friend@spamcheck.test");

        // Forwarding:PauseAfter is 2 here: two refusals as spam (5.7.x) in a row pause the forward.
        for (var i = 1; i <= 2; i++)
        {
            var sent = QueueId(await SendAsync("gina@sender-p.test", "pausing@example.test", $"refused {i}"));
            await WaitAsync(sent, s => Has(s, "friend@spamcheck.test", "bounced"));
        }

        Assert.Equal(2, strict.Commands.Count(c => c.StartsWith("MAIL FROM:<SRS0=", StringComparison.OrdinalIgnoreCase)));
        var shown = JsonDocument.Parse((await _app.Cli.RunAsync("user forward pausing@example.test --json")).Output).RootElement;
        Assert.True(shown.GetProperty("paused").GetBoolean(), shown.ToString());
        Assert.Contains("2 refusals as spam in a row", shown.GetProperty("pausedReason").GetString(), StringComparison.Ordinal);
        Assert.Contains("5.7.1 Message rejected as spam", shown.GetProperty("pausedReason").GetString(), StringComparison.Ordinal);

        // Paused: the next message stays in the user's mailbox and is not forwarded.
        var kept = QueueId(await SendAsync("gina@sender-p.test", "pausing@example.test", "kept while paused"));
        var show = await WaitAsync(kept, s => Settled(s, "pausing@example.test"));
        Assert.Equal("delivered", Row(show, "pausing@example.test").GetProperty("status").GetString());
        Assert.Equal(1, show.GetProperty("recipients").GetArrayLength());
        Assert.Contains("Subject: kept while paused", await File.ReadAllTextAsync(Assert.Single(await _app.MessagesAsync("pausing", 1))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_count_against_the_users_forward_also_through_an_alias_and_from_the_null_sender()
    {
        await using var strict = _app.Sink("spamcheck2.test", new SmtpSinkOptions
        {
            Reply = (verb, _) => verb == "." ? "550 5.7.1 Message rejected as spam" : null,
        });
        await _app.Ok("user add aliased@example.test");
        await _app.Ok("user forward aliased@example.test friend@spamcheck2.test");
        await _app.Ok("alias add aliased-team@example.test aliased@example.test");

        // One through the alias (the forward's row has the alias as its parent), one bounce forwarded from <> (no
        // SRS sender): both count, and PauseAfter (2) pauses the user's forward.
        var viaAlias = QueueId(await SendAsync("hank@sender-q.test", "aliased-team@example.test", "refused via alias"));
        await WaitAsync(viaAlias, s => Has(s, "friend@spamcheck2.test", "bounced"));
        var bounce = QueueId(await SendAsync("", "aliased@example.test", "refused bounce"));
        await WaitAsync(bounce, s => Has(s, "friend@spamcheck2.test", "bounced"));

        Assert.Contains(strict.Commands, c => c.StartsWith("MAIL FROM:<>", StringComparison.Ordinal));
        var shown = JsonDocument.Parse((await _app.Cli.RunAsync("user forward aliased@example.test --json")).Output).RootElement;
        Assert.True(shown.GetProperty("paused").GetBoolean(), shown.ToString());
        Assert.Contains("2 refusals as spam in a row", shown.GetProperty("pausedReason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_way_back_accepts_a_valid_SRS_address_and_refuses_forged_and_expired_ones()
    {
        // A bounce to a valid SRS address of ours is relayed to the original sender's MX, still from <>.
        await using var back = _app.Sink("back.test");
        var valid = await PerlSrsAsync(MailSrs("$s->forward('bob@back.test', 'mx.example.test')"));
        Assert.StartsWith("SRS0=", valid, StringComparison.Ordinal);
        var reply = await SendAsync("", valid, "bounce", "Delivery failed.");
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);
        var arrived = Assert.Single(await back.WaitForMessagesAsync(1));
        Assert.StartsWith("MAIL FROM:<>", arrived.MailFrom, StringComparison.Ordinal);
        Assert.StartsWith("RCPT TO:<bob@back.test>", Assert.Single(arrived.RcptTo), StringComparison.Ordinal);
        var show = await WaitAsync(QueueId(reply), s => Settled(s, valid));
        Assert.Equal("delivered", Row(show, valid).GetProperty("status").GetString());

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
