using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MailAppliance.Testing;
using Xunit.Abstractions;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>"Mail accepted with 250 is never lost": the appliance is killed with SIGKILL while 8 clients send.</summary>
public sealed partial class CrashDurabilityTests : IClassFixture<ApplianceFixture>
{
    private readonly ApplianceFixture _app;
    private readonly ITestOutputHelper _output;

    public CrashDurabilityTests(ApplianceFixture app, ITestOutputHelper output)
    {
        _app = app;
        _output = output;
    }

    [Fact]
    public async Task Killing_the_process_at_random_moments_loses_no_message_that_got_a_250()
    {
        await _app.Ok("user add durable@example.test");
        var acknowledged = new ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 8).Select(worker => Task.Run(() => SendUntilStoppedAsync(worker, acknowledged, stop.Token))).ToList();

        var random = new Random(20261122);
        for (var kill = 0; kill < 3; kill++)
        {
            // Kill only once the senders made progress since the last start (a loaded machine is slow to restart),
            // then at a random moment.
            await WaitForProgressAsync(acknowledged, acknowledged.Count + 10);
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1500)));
            await _app.KillAndRestartAsync();
        }

        await WaitForProgressAsync(acknowledged, acknowledged.Count + 10);
        await stop.CancelAsync();
        await Task.WhenAll(senders);

        // Every spooled message is delivered after the last restart.
        var spool = Path.Combine(_app.DataDirectory, "spool");
        for (var i = 0; i < 600 && Directory.GetFiles(spool, "*.msg").Length > 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Empty(Directory.GetFiles(spool, "*.msg"));
        Assert.True(acknowledged.Count > 20, $"only {acknowledged.Count} messages were acknowledged: the test did not load the server");
        var delivered = new Dictionary<string, int>();
        foreach (var file in await _app.MessagesAsync("durable", acknowledged.Count))
        {
            var id = MessageIdPattern().Match(await File.ReadAllTextAsync(file)).Groups[1].Value;
            delivered[id] = delivered.GetValueOrDefault(id) + 1;
        }

        var lost = acknowledged.Keys.Where(id => !delivered.ContainsKey(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged messages lost: {string.Join(", ", lost.Take(5))}");
        Assert.DoesNotContain(delivered, d => d.Value > 1);
        _output.WriteLine($"{acknowledged.Count} acknowledged, {delivered.Count} delivered ({delivered.Count - acknowledged.Count} accepted but unacknowledged when killed), 3 SIGKILLs");
    }

    private static async Task WaitForProgressAsync(ConcurrentDictionary<string, string> acknowledged, int count)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (acknowledged.Count < count && watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(100);
        }
    }

    private async Task SendUntilStoppedAsync(int worker, ConcurrentDictionary<string, string> acknowledged, CancellationToken stop)
    {
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
                await smtp.Send("EHLO sender.example");
                await smtp.Expect("250");
                while (!stop.IsCancellationRequested)
                {
                    var id = $"w{worker}-m{sequence++}";
                    await smtp.Send("MAIL FROM:<load@example.net>\r\nRCPT TO:<durable@example.test>\r\nDATA");
                    await smtp.Expect("250");
                    await smtp.Expect("250");
                    await smtp.Expect("354");
                    await smtp.Send($"Subject: durability\r\nX-Test-Id: <{id}>\r\n\r\n{new string('z', 2000)}\r\n.");
                    var reply = await smtp.ReadReplyAsync();
                    if (reply.StartsWith("250 ", StringComparison.Ordinal))
                    {
                        acknowledged[id] = reply;
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or Xunit.Sdk.XunitException or OperationCanceledException)
            {
                // The server was killed mid-conversation: what did not get its 250 may or may not arrive.
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    [GeneratedRegex("X-Test-Id: <([^>]+)>")]
    private static partial Regex MessageIdPattern();
}
