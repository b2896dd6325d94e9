using System.Text;
using MailAppliance.Smtp.Queue;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using MailAppliance.Testing;

namespace MailAppliance.Smtp.Tests.Queue;

/// <summary>
/// Delivery status notifications (RFC 3464, RFC 3461) through the queue: a failure into a local sender's INBOX and
/// to a remote sender by SMTP, never about a null-sender message, NOTIFY honoured (NEVER, SUCCESS, DELAY), RET and
/// ENVID and ORCPT carried, one delay warning, null MX bouncing at once.
/// </summary>
public sealed class DsnTests : IClassFixture<DatabaseFixture>
{
    private const string Refusal = "550 5.1.1 <bob@remote.test>: Recipient address rejected: User unknown in virtual mailbox table";

    private readonly DatabaseFixture _db;

    public DsnTests(DatabaseFixture db) => _db = db;

    private static SmtpSinkOptions Refusing() => new()
    {
        Reply = (verb, argument) => verb == "RCPT" && argument.Contains("bob@", StringComparison.Ordinal) ? Refusal : null,
    };

    /// <summary>Header fields unfolded (RFC 5322 §2.2.3): the long ones are folded at 78 columns.</summary>
    private static string Unfolded(string text) => text.Replace("\r\n ", " ", StringComparison.Ordinal).Replace("\r\n\t", "\t", StringComparison.Ordinal);

    [Fact]
    public async Task A_5xx_puts_a_failure_dsn_with_the_remote_reply_into_the_local_senders_inbox()
    {
        await using var q = await OutboundQueue.StartAsync(_db);
        var alice = await q.UserAsync("alice");
        await using var sink = q.Sink("remote.test", 2, Refusing());
        var message = OutboundQueue.Message(q.A("alice"), "lunch", "The body of the message.\r\n");
        var id = await q.SubmitAsync(q.A("alice"), message,
            [new SpoolRecipient("bob@remote.test", "FAILURE", "rfc822;Bob+2BSmith@remote.test"), new SpoolRecipient("carol@remote.test")],
            ret: "FULL", envid: "env+2B42");

        await q.DrainAsync();

        var rows = await q.RowsAsync(id);
        var bob = rows.Single(r => r.Recipient == "bob@remote.test");
        Assert.Equal(RecipientStatus.Bounced, bob.Status);
        Assert.Equal(Refusal, bob.LastResult);
        Assert.Equal(RecipientStatus.Delivered, rows.Single(r => r.Recipient == "carol@remote.test").Status);

        var dsn = Assert.Single(await q.InboxAsync(alice));
        Assert.StartsWith("Return-Path: <>\r\n", dsn, StringComparison.Ordinal);
        Assert.Contains("From: Mail Delivery System <MAILER-DAEMON@mx.local.test>\r\n", dsn, StringComparison.Ordinal);
        Assert.Contains($"To: <{q.A("alice")}>\r\n", dsn, StringComparison.Ordinal);
        Assert.Contains("Auto-Submitted: auto-replied\r\n", dsn, StringComparison.Ordinal);
        Assert.Contains("Content-Type: multipart/report; report-type=delivery-status;", dsn, StringComparison.Ordinal);
        Assert.Contains("Content-Type: message/delivery-status\r\n", dsn, StringComparison.Ordinal);
        Assert.Contains("Reporting-MTA: dns; mx.local.test\r\n", dsn, StringComparison.Ordinal);
        Assert.Contains("Original-Envelope-Id: env+42\r\n", dsn, StringComparison.Ordinal); // decoded from xtext (RFC 3461 §6.3)
        Assert.Contains("Original-Recipient: rfc822; Bob+Smith@remote.test\r\n", dsn, StringComparison.Ordinal);
        Assert.Contains("Final-Recipient: rfc822; bob@remote.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.remote.test\r\n", dsn, StringComparison.Ordinal);
        Assert.Contains("Diagnostic-Code: smtp; " + Refusal + "\r\n", Unfolded(dsn), StringComparison.Ordinal);
        Assert.DoesNotContain("carol@remote.test", dsn.Split("Content-Type: message/rfc822")[0].Split("Reporting-MTA")[1], StringComparison.Ordinal);
        // RET=FULL: the message comes back whole, byte for byte.
        Assert.Contains("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + Encoding.UTF8.GetString(message), dsn, StringComparison.Ordinal);

        // The DSN itself is a message from the null sender: settled, and nothing is owed about it.
        await q.DrainAsync();
        Assert.Single(await q.InboxAsync(alice));
        Assert.Empty(q.Spool.List());
    }

    [Fact]
    public async Task Ret_hdrs_returns_only_the_header_and_a_remote_sender_gets_the_dsn_by_smtp_from_the_null_sender()
    {
        await using var q = await OutboundQueue.StartAsync(_db);
        await using var sink = q.Sink("remote.test", 2, Refusing());
        await using var origin = q.Sink("origin.test", 3);
        var id = await q.SubmitAsync("sender@origin.test", OutboundQueue.Message("sender@origin.test", "headers only", "SECRET BODY\r\n"),
            [new SpoolRecipient("bob@remote.test")], ret: "HDRS");

        await q.DrainAsync();

        Assert.Equal(RecipientStatus.Bounced, Assert.Single(await q.RowsAsync(id)).Status);
        var dsn = Assert.Single(await origin.WaitForMessagesAsync(1));
        Assert.StartsWith("MAIL FROM:<>", dsn.MailFrom, StringComparison.Ordinal);
        Assert.Equal(["RCPT TO:<sender@origin.test>"], dsn.RcptTo);
        Assert.Contains("Content-Type: text/rfc822-headers\r\n", dsn.Text, StringComparison.Ordinal);
        Assert.Contains("Subject: headers only\r\n", dsn.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET BODY", dsn.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_dsn_about_a_null_sender_message_nor_for_notify_never()
    {
        await using var q = await OutboundQueue.StartAsync(_db);
        await using var sink = q.Sink("remote.test", 2, Refusing());
        await using var origin = q.Sink("origin.test", 3);
        var bounce = await q.SubmitAsync("", OutboundQueue.Message("MAILER-DAEMON@elsewhere.test", "a bounce"), "bob@remote.test");
        var never = await q.SubmitAsync("sender@origin.test", OutboundQueue.Message("sender@origin.test", "never"), [new SpoolRecipient("bob@remote.test", "NEVER")]);

        await q.DrainAsync();

        Assert.Equal(RecipientStatus.Bounced, Assert.Single(await q.RowsAsync(bounce)).Status);
        Assert.Equal(RecipientStatus.Bounced, Assert.Single(await q.RowsAsync(never)).Status);
        Assert.Empty(q.Spool.List()); // no DSN was queued
        Assert.Equal(0, origin.Connections);
    }

    [Fact]
    public async Task Notify_success_gets_a_relayed_dsn_from_a_server_without_dsn_and_none_from_a_server_that_takes_it()
    {
        await using var q = await OutboundQueue.StartAsync(_db);
        var alice = await q.UserAsync("alice");
        await using var plain = q.Sink("plain.test", 2, new SmtpSinkOptions { Keywords = ["PIPELINING", "8BITMIME"] });
        await using var dsnAware = q.Sink("aware.test", 3);
        await q.SubmitAsync(q.A("alice"), OutboundQueue.Message(q.A("alice"), "tell me"),
            [new SpoolRecipient("x@plain.test", "SUCCESS,FAILURE"), new SpoolRecipient("y@aware.test", "SUCCESS,FAILURE")]);

        await q.DrainAsync();

        var dsn = Assert.Single(await q.InboxAsync(alice));
        Assert.Contains("Subject: Delivery Status Notification (Success)", dsn, StringComparison.Ordinal);
        Assert.Contains("Final-Recipient: rfc822; x@plain.test\r\nAction: relayed\r\nStatus: 2.0.0", dsn, StringComparison.Ordinal);
        Assert.DoesNotContain("y@aware.test", dsn.Split("Reporting-MTA")[1].Split("Content-Type: text/rfc822-headers")[0], StringComparison.Ordinal);
        Assert.Contains("NOTIFY=SUCCESS,FAILURE", string.Join("\n", dsnAware.Commands), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notify_success_on_a_local_delivery_gets_a_delivered_dsn()
    {
        await using var q = await OutboundQueue.StartAsync(_db);
        var alice = await q.UserAsync("alice");
        await q.UserAsync("erin");
        await using var origin = q.Sink("origin.test", 3);
        await q.SubmitAsync("sender@origin.test", OutboundQueue.Message("sender@origin.test", "local"), [new SpoolRecipient(q.A("erin"), "SUCCESS")]);
        await q.DrainAsync();
        var dsn = Assert.Single(await origin.WaitForMessagesAsync(1));
        Assert.Contains($"Final-Recipient: rfc822; {q.A("erin")}\r\nAction: delivered\r\nStatus: 2.0.0", dsn.Text, StringComparison.Ordinal);
        Assert.Empty(await q.InboxAsync(alice));
    }

    [Fact]
    public async Task One_delay_warning_after_DelayWarning_unless_notify_excludes_delay()
    {
        await using var q = await OutboundQueue.StartAsync(_db, new DeliveryOptions { DelayWarning = TimeSpan.FromMinutes(30) });
        var alice = await q.UserAsync("alice");
        await using var sink = q.Sink("remote.test", 2, new SmtpSinkOptions { Reply = (verb, _) => verb == "RCPT" ? "421 4.7.0 slow down" : null });
        var warned = await q.SubmitAsync(q.A("alice"), OutboundQueue.Message(q.A("alice"), "slow"), "bob@remote.test");
        var quiet = await q.SubmitAsync(q.A("alice"), OutboundQueue.Message(q.A("alice"), "quiet"), [new SpoolRecipient("bob@remote.test", "FAILURE")]);

        await q.DrainAsync(); // t = 0
        await q.RetryAsync(warned); // 5 min
        await q.RetryAsync(warned); // 15 min
        Assert.Empty(await q.InboxAsync(alice));
        await q.RetryAsync(warned); // 35 min: past the 30 minutes
        var dsn = Assert.Single(await q.InboxAsync(alice));
        Assert.Contains("Subject: Delivery Status Notification (Delay)", dsn, StringComparison.Ordinal);
        Assert.Contains("Action: delayed\r\nStatus: 4.7.0", dsn, StringComparison.Ordinal);
        Assert.Contains("Diagnostic-Code: smtp; 421 4.7.0 slow down", Unfolded(dsn), StringComparison.Ordinal);
        Assert.Contains("Will-Retry-Until: ", dsn, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/rfc822-headers", dsn, StringComparison.Ordinal); // a delay report carries the header only
        Assert.True(Assert.Single(await q.RowsAsync(warned)).DelayWarned);

        await q.RetryAsync(warned); // 75 min: no second warning
        await q.RetryAsync(warned);
        Assert.Single(await q.InboxAsync(alice));
        Assert.Equal(RecipientStatus.Deferred, Assert.Single(await q.RowsAsync(quiet)).Status);
    }

    [Fact]
    public async Task A_null_mx_domain_bounces_at_once_with_5_1_10()
    {
        await using var q = await OutboundQueue.StartAsync(_db);
        var alice = await q.UserAsync("alice");
        q.Dns.NullMx("nomail.test");
        var id = await q.SubmitAsync(q.A("alice"), OutboundQueue.Message(q.A("alice"), "to nowhere"), "x@nomail.test");
        await q.DrainAsync();
        var row = Assert.Single(await q.RowsAsync(id));
        Assert.Equal(RecipientStatus.Bounced, row.Status);
        Assert.StartsWith("5.1.10 ", row.LastResult, StringComparison.Ordinal);
        var dsn = Assert.Single(await q.InboxAsync(alice));
        Assert.Contains("Final-Recipient: rfc822; x@nomail.test\r\nAction: failed\r\nStatus: 5.1.10\r\n", dsn, StringComparison.Ordinal);
        Assert.Contains("Diagnostic-Code: x-mailappliance; 5.1.10 ", Unfolded(dsn), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repeated_attempt_after_a_crash_queues_the_same_dsn_once()
    {
        var notice = new DeliveryNotice(
            new QueueRecipient("Q1", "bob@remote.test", RecipientStatus.Deferred, 0, DateTimeOffset.UtcNow, null, "a@b.test", 10, DateTimeOffset.UtcNow),
            Pipeline.Reports.DsnAction.Failed, new TransportResult(RecipientStatus.Bounced, Refusal), "bob@remote.test");
        var id = DeliveryNotifier.DsnQueueId("0123456789ABCDEF", [notice]);
        Assert.Equal(id, DeliveryNotifier.DsnQueueId("0123456789ABCDEF", [notice with { Result = notice.Result with { Result = "other" } }]));
        Assert.Matches("^[0-9A-Z]{8,32}$", id);

        await using var q = await OutboundQueue.StartAsync(_db);
        var alice = await q.UserAsync("alice");
        await using var sink = q.Sink("remote.test", 2, Refusing());
        var queueId = await q.SubmitAsync(q.A("alice"), OutboundQueue.Message(q.A("alice"), "twice"), "bob@remote.test");
        var rows = await q.Queue.ClaimAsync(10, CancellationToken.None);
        await using (var opened = q.Queue.Open(queueId)!)
        {
            // The DSN of a first attempt whose outcome was lost with a crash (a claim that expired)...
            var notifier = new DeliveryNotifier(q.Queue, q.Options, q.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            var first = new DeliveryNotice(rows.Single(), Pipeline.Reports.DsnAction.Failed, new TransportResult(RecipientStatus.Bounced, Refusal) { StatusCode = "5.1.1" }, "bob@remote.test");
            Assert.True(await notifier.NotifyAsync(opened, [first], CancellationToken.None));
        }

        await q.Queue.SettleAsync(new RecipientOutcome(queueId, "bob@remote.test", RecipientStatus.Queued, RecipientStatus.Deferred, "crash", q.Time.GetUtcNow()), CancellationToken.None);
        await q.DrainAsync(); // ...and the repeated attempt: bounced again, the DSN not queued twice
        Assert.Equal(RecipientStatus.Bounced, Assert.Single(await q.RowsAsync(queueId)).Status);
        Assert.Single(await q.InboxAsync(alice));
    }
}
