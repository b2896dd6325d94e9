using MailAppliance.Smtp.Client;
using MailAppliance.Testing;
using static MailAppliance.Smtp.Tests.Client.SinkHarness;

namespace MailAppliance.Smtp.Tests.Client;

public class ConcurrencyTests
{
    [Fact]
    public async Task No_more_sessions_to_one_destination_than_its_limit()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = 0;
        var twoWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            BeforeReply = async verb =>
            {
                if (verb == ".")
                {
                    if (Interlocked.Increment(ref waiting) == 2)
                    {
                        twoWaiting.TrySetResult();
                    }

                    await release.Task;
                }
            },
        });
        await using var delivery = new SmtpDelivery(Options() with { MaxConnectionsPerDestination = 2, MaxConnections = 10 });
        var body = Message();
        var sends = Enumerable.Range(0, 5).Select(_ => delivery.SendAsync(Target(sink), Envelope(body, "a@example.test"), Body(body))).ToList();

        await twoWaiting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, delivery.Limiter.InUseFor("example.test"));
        Assert.Equal(2, sink.Connections);
        Assert.All(sends, s => Assert.False(s.IsCompleted));
        release.SetResult();

        var outcomes = await Task.WhenAll(sends);
        Assert.All(outcomes, o => Assert.True(o.AllDelivered));
        Assert.Equal(2, sink.Connections); // the other three reused the two connections
        Assert.Equal(0, delivery.Limiter.InUse);
    }

    [Fact]
    public async Task The_global_limit_holds_across_destinations()
    {
        var limiter = new ConcurrencyLimiter(perDestination: 5, total: 2);
        using var a = await limiter.AcquireAsync("a.test", CancellationToken.None);
        using var b = await limiter.AcquireAsync("b.test", CancellationToken.None);
        var third = limiter.AcquireAsync("c.test", CancellationToken.None);
        Assert.False(third.IsCompleted);
        a.Dispose();
        using var c = await third.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, limiter.InUse);
        Assert.Equal(0, limiter.InUseFor("a.test"));
    }

    [Fact]
    public async Task A_cancelled_wait_gives_nothing_back_twice()
    {
        var limiter = new ConcurrencyLimiter(perDestination: 1, total: 1);
        using var held = await limiter.AcquireAsync("a.test", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = limiter.AcquireAsync("a.test", cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        using var again = await limiter.AcquireAsync("a.test", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, limiter.InUse);
    }
}
