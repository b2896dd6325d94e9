using System.Net;
using MailAppliance.Smtp.Client;
using MailAppliance.Testing;
using static MailAppliance.Smtp.Tests.Client.SinkHarness;

namespace MailAppliance.Smtp.Tests.Client;

public class FailoverTests
{
    [Fact]
    public async Task An_unreachable_first_host_is_skipped_for_the_next()
    {
        await using var sink = SmtpSink.Start();
        await using var delivery = new SmtpDelivery(Options());
        var body = Message();

        // Both hosts on the same port number: the first on an address where nothing listens on it.
        var target = new SmtpTarget("example.test",
        [
            new SmtpHost("mx1.example.test", [IPAddress.Parse("127.0.0.2")], TlsPolicy.Opportunistic),
            new SmtpHost("mx2.example.test", [sink.Address], TlsPolicy.Opportunistic),
        ], sink.Port);
        var outcome = await delivery.SendAsync(target, Envelope(body, "a@example.test"), Body(body));
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.Equal(2, outcome.Attempts.Count);
        Assert.Equal(ConnectionFailureKind.Refused, outcome.Attempts[0].Failure!.Kind);
        Assert.Equal("mx2.example.test", outcome.Attempts[1].HostName);
    }

    [Fact]
    public async Task When_no_host_answers_every_recipient_is_deferred_with_the_connect_failure()
    {
        var port = ClosedPort();
        await using var delivery = new SmtpDelivery(Options());
        var body = Message();
        var target = SmtpTarget.ForAddress(IPAddress.Loopback, port, TlsPolicy.Opportunistic, "mx.example.test");
        var outcome = await delivery.SendAsync(target, Envelope(body, "a@example.test", "b@example.test"), Body(body));
        Assert.All(outcome.Recipients, r =>
        {
            Assert.Equal(RecipientStatus.Deferred, r.Status);
            Assert.Equal("4.4.1", r.StatusCode.ToString());
            Assert.Equal($"connect to mx.example.test[127.0.0.1]:{port}: Connection refused", r.Diagnostic);
        });
    }

    [Fact]
    public async Task A_5xx_greeting_from_every_host_bounces()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Greeting = "554 5.7.1 No SMTP service here" });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test"), body);
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Bounced, recipient.Status);
        Assert.Equal("554 5.7.1 No SMTP service here", recipient.Reply!.ToString());
        Assert.Equal(ConnectionFailureKind.Refusal, outcome.LastFailure!.Kind);
    }

    [Fact]
    public async Task A_4xx_greeting_defers()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Greeting = "421 4.3.2 Too busy, try later" });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test"), body);
        Assert.Equal(RecipientStatus.Deferred, outcome.Recipients[0].Status);
        Assert.Equal("421 4.3.2 Too busy, try later", outcome.Recipients[0].Reply!.ToString());
    }

    [Fact]
    public async Task Recipients_deferred_by_the_first_host_are_offered_to_the_next()
    {
        await using var greylisting = SmtpSink.Start(new SmtpSinkOptions
        {
            Reply = (verb, argument) => verb == "RCPT" && argument == "b@example.test" ? "450 4.2.0 Greylisted" : null,
        });
        await using var backup = SmtpSink.Start(address: IPAddress.Parse("127.0.0.2"), port: greylisting.Port);
        var body = Message();
        await using var delivery = new SmtpDelivery(Options());
        var target = new SmtpTarget("example.test",
        [
            new SmtpHost("mx1.example.test", [greylisting.Address], TlsPolicy.Opportunistic),
            new SmtpHost("mx2.example.test", [backup.Address], TlsPolicy.Opportunistic),
        ], greylisting.Port);
        var outcome = await delivery.SendAsync(target, Envelope(body, "a@example.test", "b@example.test"), Body(body));

        Assert.True(outcome.AllDelivered, string.Join("; ", outcome.Recipients.Select(r => r.Result)));
        // The sink records a message as it answers the final dot: wait for the record rather than race it.
        Assert.Equal(["RCPT TO:<a@example.test>"], Assert.Single(await greylisting.WaitForMessagesAsync(1)).RcptTo);
        Assert.Equal(["RCPT TO:<b@example.test>"], Assert.Single(await backup.WaitForMessagesAsync(1)).RcptTo);
        Assert.Equal("mx2.example.test[127.0.0.2]:" + greylisting.Port, outcome.Recipients[1].RemoteHost);
    }

    [Fact]
    public async Task A_recipient_deferred_everywhere_keeps_the_last_reply()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Reply = (verb, _) => verb == "RCPT" ? "451 4.3.0 Try again" : null });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test"), body);
        Assert.Equal(RecipientStatus.Deferred, outcome.Recipients[0].Status);
        Assert.Equal("451 4.3.0 Try again", outcome.Recipients[0].Result);
    }

    [Fact]
    public async Task The_greeting_time_out_defers_and_frees_the_connection()
    {
        var never = new TaskCompletionSource();
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { BeforeReply = verb => verb == "CONNECT" ? never.Task : Task.CompletedTask });
        var options = Options() with { Timeouts = new SmtpClientTimeouts { Greeting = TimeSpan.FromMilliseconds(300) } };
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test"), body, options: options);
        never.SetResult();
        Assert.Equal(RecipientStatus.Deferred, outcome.Recipients[0].Status);
        Assert.Equal(ConnectionFailureKind.TimedOut, outcome.LastFailure!.Kind);
        Assert.Contains("timed out while receiving the initial server greeting", outcome.Recipients[0].Diagnostic, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lost_connection_after_the_final_dot_defers_and_says_the_message_may_be_duplicated()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Reply = (verb, _) => verb == "." ? "CLOSE" : null });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test"), body);
        Assert.Equal(RecipientStatus.Deferred, outcome.Recipients[0].Status);
        Assert.Contains("while sending end of data -- message may be sent more than once", outcome.Recipients[0].Diagnostic, StringComparison.Ordinal);
        Assert.Equal("4.4.2", outcome.Recipients[0].StatusCode.ToString());
    }
}
