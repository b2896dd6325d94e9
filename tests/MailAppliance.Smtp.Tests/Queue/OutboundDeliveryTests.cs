using System.Text;
using MailAppliance.Smtp.Queue;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using MailAppliance.Testing;

namespace MailAppliance.Smtp.Tests.Queue;

/// <summary>
/// Remote recipients through the queue: one transaction per domain, replies recorded verbatim, the retry schedule
/// of <c>Delivery:RetryMin</c>/<c>RetryMax</c> on a fake clock, and expiry after <c>Delivery:MaxLifetime</c>.
/// </summary>
public sealed class OutboundDeliveryTests : IClassFixture<DatabaseFixture>
{
    private readonly DatabaseFixture _db;

    public OutboundDeliveryTests(DatabaseFixture db) => _db = db;

    [Fact]
    public async Task Recipients_of_one_domain_go_in_one_transaction_byte_exact_each_with_the_reply_verbatim()
    {
        await using var q = await OutboundQueue.StartAsync(_db);
        await using var sink = q.Sink("remote.test", 2);
        await using var other = q.Sink("other.test", 3);
        var message = Encoding.UTF8.GetBytes("From: a@x.test\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\nline one\r\n.leading dot\r\nno final line break");
        var id = await q.SubmitAsync("sender@origin.test", message, "bob@remote.test", "carol@REMOTE.test", "dave@other.test");

        await q.DrainAsync();

        var received = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.Equal(message, received.Content); // the spool bytes unchanged (no DKIM: not our user's mail)
        Assert.StartsWith("MAIL FROM:<sender@origin.test> SIZE=" + message.Length, received.MailFrom, StringComparison.Ordinal);
        Assert.Equal(2, received.RcptTo.Count);
        Assert.Equal(message, Assert.Single(await other.WaitForMessagesAsync(1)).Content);

        var rows = await q.RowsAsync(id);
        Assert.All(rows, r => Assert.Equal(RecipientStatus.Delivered, r.Status));
        Assert.All(rows, r => Assert.Equal("relay", r.Route));
        Assert.Contains(rows, r => r.LastResult == "250 2.0.0 Ok: queued as SINK0");
        var attempts = await q.AttemptsAsync(id);
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.StartsWith("250 2.0.0 Ok: queued as SINK", a.Reply, StringComparison.Ordinal));
        Assert.Empty(q.Spool.List());
    }

    [Fact]
    public async Task A_4xx_twice_is_retried_after_RetryMin_then_twice_as_late_and_delivered_once()
    {
        await using var q = await OutboundQueue.StartAsync(_db, new DeliveryOptions { RetryMin = TimeSpan.FromMinutes(5), RetryMax = TimeSpan.FromHours(1) });
        var refusals = 0;
        await using var sink = q.Sink("remote.test", 2, new SmtpSinkOptions
        {
            Reply = (verb, _) => verb == "RCPT" && Interlocked.Increment(ref refusals) <= 2 ? "450 4.2.0 <bob@remote.test>: Recipient address rejected: Greylisted" : null,
        });
        var id = await q.SubmitAsync("sender@origin.test", OutboundQueue.Message("sender@origin.test", "grey"), "bob@remote.test");

        var start = q.Time.GetUtcNow();
        await q.DrainAsync();
        var row = Assert.Single(await q.RowsAsync(id));
        Assert.Equal(RecipientStatus.Deferred, row.Status);
        Assert.Equal("450 4.2.0 <bob@remote.test>: Recipient address rejected: Greylisted", row.LastResult);
        Assert.Equal(start + TimeSpan.FromMinutes(5), row.NextAttemptAt, TimeSpan.FromSeconds(1));

        q.Time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, await q.RunAsync()); // not due yet

        await q.RetryAsync(id);
        row = Assert.Single(await q.RowsAsync(id));
        Assert.Equal(RecipientStatus.Deferred, row.Status);
        Assert.Equal(start + TimeSpan.FromMinutes(5 + 10), row.NextAttemptAt, TimeSpan.FromSeconds(1));

        await q.RetryAsync(id);
        row = Assert.Single(await q.RowsAsync(id));
        Assert.Equal(RecipientStatus.Delivered, row.Status);
        Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.Single(sink.Messages);
        Assert.Equal(
            ["deferred 450 4.2.0 <bob@remote.test>: Recipient address rejected: Greylisted", "deferred 450 4.2.0 <bob@remote.test>: Recipient address rejected: Greylisted", "delivered 250 2.0.0 Ok: queued as SINK0"],
            (await q.AttemptsAsync(id)).Select(a => $"{RecipientStatuses.Text(a.Status)} {a.Reply}"));
    }

    [Fact]
    public void The_backoff_never_exceeds_RetryMax()
    {
        var options = new DeliveryOptions { RetryMin = TimeSpan.FromMinutes(5), RetryMax = TimeSpan.FromHours(1) };
        Assert.Equal(
            [5, 10, 20, 40, 60, 60, 60],
            Enumerable.Range(0, 7).Select(a => (int)options.Backoff(a).TotalMinutes));
    }

    [Fact]
    public async Task A_refused_connection_defers_and_the_second_mx_is_used()
    {
        await using var q = await OutboundQueue.StartAsync(_db);
        q.Dns.Mx("remote.test", 10, "mx1.remote.test").Mx("remote.test", 20, "mx2.remote.test").A("mx1.remote.test", "127.0.0.4").A("mx2.remote.test", "127.0.0.5");
        await using var second = SmtpSink.Start(null, System.Net.IPAddress.Parse("127.0.0.5"), q.Port);
        var id = await q.SubmitAsync("sender@origin.test", OutboundQueue.Message("sender@origin.test", "fallback"), "bob@remote.test");
        await q.DrainAsync();
        Assert.Single(await second.WaitForMessagesAsync(1));
        Assert.Equal(RecipientStatus.Delivered, Assert.Single(await q.RowsAsync(id)).Status);
    }

    [Fact]
    public async Task Mx_preference_order_is_followed()
    {
        await using var q = await OutboundQueue.StartAsync(_db);
        q.Dns.Mx("remote.test", 20, "mx2.remote.test").Mx("remote.test", 10, "mx1.remote.test").A("mx1.remote.test", "127.0.0.6").A("mx2.remote.test", "127.0.0.7");
        await using var first = SmtpSink.Start(null, System.Net.IPAddress.Parse("127.0.0.6"), q.Port);
        await using var second = SmtpSink.Start(null, System.Net.IPAddress.Parse("127.0.0.7"), q.Port);
        for (var i = 0; i < 3; i++)
        {
            await q.SubmitAsync("sender@origin.test", OutboundQueue.Message("sender@origin.test", "pref " + i), "bob@remote.test");
        }

        await q.DrainAsync();
        Assert.Equal(3, (await first.WaitForMessagesAsync(3)).Count);
        Assert.Equal(0, second.Connections);
    }

    [Fact]
    public async Task Past_MaxLifetime_a_deferred_recipient_bounces_with_a_failure_dsn()
    {
        await using var q = await OutboundQueue.StartAsync(_db, new DeliveryOptions { MaxLifetime = TimeSpan.FromHours(2), DelayWarning = TimeSpan.Zero });
        await using var sink = q.Sink("remote.test", 2, new SmtpSinkOptions { Reply = (verb, _) => verb == "RCPT" ? "451 4.3.0 try later" : null });
        await using var origin = q.Sink("origin.test", 3);
        var id = await q.SubmitAsync("sender@origin.test", OutboundQueue.Message("sender@origin.test", "expiring"), "bob@remote.test");

        await q.DrainAsync();
        for (var i = 0; i < 10 && (await q.RowsAsync(id))[0].Status == RecipientStatus.Deferred; i++)
        {
            await q.RetryAsync(id);
        }

        var row = Assert.Single(await q.RowsAsync(id));
        Assert.Equal(RecipientStatus.Bounced, row.Status);
        Assert.Contains("451 4.3.0 try later", row.LastResult, StringComparison.Ordinal);
        Assert.Contains("given up", row.LastResult, StringComparison.Ordinal);
        // Tried at 0, 5, 15, 35 and 75 minutes, then once more when the lifetime ended (120), not up to RetryMax later.
        Assert.Equal(6, (await q.AttemptsAsync(id)).Count(a => a.Recipient == "bob@remote.test"));
        Assert.InRange(q.Time.GetUtcNow() - row.ReceivedAt, q.Options.MaxLifetime - TimeSpan.FromSeconds(1), q.Options.MaxLifetime + TimeSpan.FromSeconds(1));

        var dsn = Assert.Single(await origin.WaitForMessagesAsync(1));
        Assert.StartsWith("MAIL FROM:<>", dsn.MailFrom, StringComparison.Ordinal);
        Assert.Contains("Action: failed", dsn.Text, StringComparison.Ordinal);
        Assert.Contains("Status: 4.3.0", dsn.Text, StringComparison.Ordinal);
        Assert.Contains("Diagnostic-Code: smtp; 451 4.3.0 try later", dsn.Text, StringComparison.Ordinal);
    }
}
