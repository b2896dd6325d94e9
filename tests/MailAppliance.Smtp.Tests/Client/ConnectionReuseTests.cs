using MailAppliance.Smtp.Client;
using MailAppliance.Testing;
using static MailAppliance.Smtp.Tests.Client.SinkHarness;

namespace MailAppliance.Smtp.Tests.Client;

public class ConnectionReuseTests
{
    /// <summary>A clock the test moves by hand (only "now" is faked; timers run on real time).</summary>
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task Messages_to_the_same_server_share_one_connection_with_rset_between()
    {
        await using var sink = SmtpSink.Start();
        await using var delivery = new SmtpDelivery(Options());
        for (var i = 0; i < 3; i++)
        {
            var body = Message($"message {i}");
            var outcome = await delivery.SendAsync(Target(sink), Envelope(body, $"r{i}@example.test"), Body(body));
            Assert.True(outcome.AllDelivered);
            Assert.Equal(i > 0, outcome.Attempts.Single().Reused);
        }

        var messages = await sink.WaitForMessagesAsync(3);
        Assert.Equal(1, sink.Connections);
        Assert.All(messages, m => Assert.Equal(1, m.Connection));
        Assert.Equal(1, delivery.Cache.Count);
        Assert.Equal(2, sink.Commands.Count(c => c == "RSET"));
        Assert.Single(sink.Commands, c => c.StartsWith("EHLO", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_connection_is_closed_after_the_most_messages_it_may_carry()
    {
        await using var sink = SmtpSink.Start();
        await using var delivery = new SmtpDelivery(Options() with { MaxMessagesPerConnection = 2 });
        for (var i = 0; i < 3; i++)
        {
            var body = Message();
            Assert.True((await delivery.SendAsync(Target(sink), Envelope(body, "a@example.test"), Body(body))).AllDelivered);
        }

        var messages = await sink.WaitForMessagesAsync(3);
        Assert.Equal([1, 1, 2], messages.Select(m => m.Connection));
        Assert.Contains("QUIT", sink.Commands);
    }

    [Fact]
    public async Task An_idle_connection_past_its_time_is_not_reused()
    {
        var clock = new ManualClock();
        await using var sink = SmtpSink.Start();
        await using var delivery = new SmtpDelivery(Options() with { ConnectionIdleTime = TimeSpan.FromSeconds(5) }, clock);
        var body = Message();
        await delivery.SendAsync(Target(sink), Envelope(body, "a@example.test"), Body(body));
        clock.Now += TimeSpan.FromSeconds(6);
        var second = await delivery.SendAsync(Target(sink), Envelope(body, "a@example.test"), Body(body));
        Assert.False(second.Attempts.Single().Reused);
        Assert.Equal(2, sink.Connections);
    }

    [Fact]
    public async Task A_cached_connection_the_server_dropped_is_replaced_without_losing_the_message()
    {
        var dropNext = false;
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Reply = (verb, _) => verb == "RSET" && dropNext ? "CLOSE" : null,
        });
        await using var delivery = new SmtpDelivery(Options());
        var body = Message();
        await delivery.SendAsync(Target(sink), Envelope(body, "a@example.test"), Body(body));
        dropNext = true; // the server went away while the connection sat in the cache
        var outcome = await delivery.SendAsync(Target(sink), Envelope(body, "b@example.test"), Body(body));
        dropNext = false;
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.Equal(2, outcome.Attempts.Count);
        Assert.True(outcome.Attempts[0].Reused);
        Assert.False(outcome.Attempts[1].Reused);
        Assert.Equal(2, (await sink.WaitForMessagesAsync(2)).Count);
    }

    [Fact]
    public async Task Sessions_under_different_tls_policies_are_not_shared()
    {
        await using var sink = SmtpSink.Start();
        await using var delivery = new SmtpDelivery(Options());
        var body = Message();
        await delivery.SendAsync(Target(sink, TlsPolicy.Opportunistic), Envelope(body, "a@example.test"), Body(body));
        await delivery.SendAsync(Target(sink, TlsPolicy.None), Envelope(body, "a@example.test"), Body(body));
        Assert.Equal(2, sink.Connections);
    }
}
