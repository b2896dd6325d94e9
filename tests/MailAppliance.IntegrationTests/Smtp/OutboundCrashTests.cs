using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Testing;
using Xunit.Abstractions;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>
/// <c>serve</c> SIGKILLed in the middle of outbound delivery: nothing queued is lost, and a message is sent twice only
/// when the remote server had taken it and its answer was lost with the process (RFC 5321 §6.1; Postfix has the
/// same window). The window is measured.
/// </summary>
public sealed partial class OutboundCrashTests : IClassFixture<OutboundFixture>
{
    private readonly OutboundFixture _app;
    private readonly ITestOutputHelper _output;

    public OutboundCrashTests(OutboundFixture app, ITestOutputHelper output)
    {
        _app = app;
        _output = output;
    }

    [Fact]
    public async Task Killed_before_the_remote_answered_the_data_the_message_is_sent_again_after_the_restart_and_settled_once()
    {
        var atData = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gates = 0;
        var dots = 0;
        await using var sink = _app.Sink("held.test", new SmtpSinkOptions
        {
            OfferStartTls = false,
            BeforeReply = async verb =>
            {
                // The first transaction's data is complete; its reply waits until the process is dead...
                if (verb == "." && Interlocked.Increment(ref gates) == 1)
                {
                    atData.SetResult();
                    await release.Task;
                }
            },
            // ...and then never comes (the connection closes): the remote side never took that copy.
            Reply = (verb, _) => verb == "." && Interlocked.Increment(ref dots) == 1 ? "CLOSE" : null,
        });
        var queueId = await _app.SubmitAsync("alice@example.test", "alice@example.test", ["x@held.test"], OutboundFixture.Message("alice@example.test", "x@held.test", "held"));

        await atData.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await _app.KillAndRestartAsync();
        release.SetResult();

        // The restarted node takes over the dead node's claim at once and delivers the message.
        var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(60)));
        Assert.Contains("Subject: held", received.Text, StringComparison.Ordinal);
        await WaitForAsync(async () => (await _app.Cli.RunAsync($"queue show {queueId}")).Output.Contains("delivered", StringComparison.Ordinal));
        // The node that settles the last recipient removes the spool file right after its round.
        await WaitForAsync(() => Task.FromResult(!File.Exists(Path.Combine(_app.DataDirectory, "spool", queueId + ".msg"))));
        Assert.Single(sink.Messages);
    }

    [Fact]
    public async Task Killed_in_the_middle_of_many_deliveries_nothing_is_lost_and_duplicates_are_counted()
    {
        const int Count = 60;
        var gate = new SemaphoreSlim(0);
        await using var sink = _app.Sink("bulk.test", new SmtpSinkOptions
        {
            OfferStartTls = false,
            // Each end-of-data reply waits for a permit: the test decides how far delivery gets before the kill.
            BeforeReply = async verb =>
            {
                if (verb == ".")
                {
                    await gate.WaitAsync();
                }
            },
        });
        var ids = new List<string>();
        for (var i = 0; i < Count; i++)
        {
            ids.Add(await _app.SubmitAsync(null, "app@internal.example", [$"r{i}@bulk.test"], OutboundFixture.Message("app@internal.example", $"r{i}@bulk.test", $"bulk {i}")));
        }

        gate.Release(Count / 3);
        await sink.WaitForMessagesAsync(Count / 3, TimeSpan.FromSeconds(60));
        await _app.KillAndRestartAsync(); // transactions are waiting for their final reply at this moment
        gate.Release(10 * Count);

        var spool = Path.Combine(_app.DataDirectory, "spool");
        await WaitForAsync(() => Task.FromResult(ids.All(id => !File.Exists(Path.Combine(spool, id + ".msg")))), TimeSpan.FromSeconds(120));
        var copies = sink.Messages.GroupBy(m => SubjectPattern().Match(m.Text).Groups[1].Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Count, copies.Count); // every message arrived
        var duplicates = copies.Values.Sum(c => c - 1);
        _output.WriteLine($"{Count} messages, {duplicates} delivered twice (their final reply was sent as the process died)");
        Assert.InRange(duplicates, 0, 20); // at most the transactions in flight at the kill (20 per destination)
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"Subject: (bulk \d+)")]
    private static partial Regex SubjectPattern();
}
