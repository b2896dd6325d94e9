using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MailAppliance.Bench.Smtp;

/// <summary>The result of one load run: N messages over C reused connections.</summary>
internal sealed record LoadResult(
    int Connections, int Messages, long Size, int Users, double Seconds, double MessagesPerSecond, LatencyStats Latency)
{
    public string TableLine() => string.Create(CultureInfo.InvariantCulture,
        $"| {Size,10:N0} B | {Connections,4} conn | {Messages,6:N0} msgs | {Seconds,7:F2} s | {MessagesPerSecond,8:F1} msg/s | p50 {Latency.P50Ms,8:F2} ms | p99 {Latency.P99Ms,8:F2} ms | max {Latency.MaxMs,8:F2} ms |");

    public string JsonLine() => JsonSerializer.Serialize(new
    {
        verb = "load",
        connections = Connections,
        messages = Messages,
        size = Size,
        users = Users,
        seconds = Math.Round(Seconds, 3),
        messagesPerSecond = Math.Round(MessagesPerSecond, 1),
        p50Ms = Math.Round(Latency.P50Ms, 3),
        p99Ms = Math.Round(Latency.P99Ms, 3),
        maxMs = Math.Round(Latency.MaxMs, 3),
        meanMs = Math.Round(Latency.MeanMs, 3),
    });
}

internal static class LoadRun
{
    public static async Task<int> RunVerbAsync(Options options)
    {
        var result = await RunAsync(
            options.Int("port", 2525),
            options.Int("connections", 8),
            options.Int("messages", 2000),
            options.Size("size", 1024),
            options.Text("rcpt-domain", "bench.test"),
            options.Int("users", 1),
            CancellationToken.None);
        Console.WriteLine(result.TableLine());
        Console.WriteLine(result.JsonLine());
        return 0;
    }

    public static async Task<LoadResult> RunAsync(
        int port, int connections, int messages, long size, string domain, int users, CancellationToken cancel)
    {
        var body = MessageBody.Build(size, "load@bench-client.test", "u1@" + domain);
        var latencies = new ConcurrentBag<long[]>();
        var next = -1;
        var clients = new SmtpClientConnection[connections];
        for (var i = 0; i < connections; i++)
        {
            clients[i] = SmtpClientConnection.Open(port);
        }

        // Connections are opened before the clock starts: the figure is intake, not connection setup. Each connection
        // sends from a thread of its own with blocking calls (see SmtpClientConnection).
        var failures = new ConcurrentQueue<Exception>();
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, connections).Select(c => new Thread(() =>
        {
            try
            {
                var share = messages / connections + (c < messages % connections ? 1 : 0);
                var mine = new long[share];
                for (var m = 0; m < share && !cancel.IsCancellationRequested; m++)
                {
                    var n = Interlocked.Increment(ref next);
                    var rcpt = $"u{n % users + 1}@{domain}";
                    mine[m] = clients[c].Send("load@bench-client.test", rcpt, body);
                }

                latencies.Add(mine);
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        }) { IsBackground = true, Name = $"smtp-load-{c}" }).ToList();
        threads.ForEach(t => t.Start());
        await Task.Run(() => threads.ForEach(t => t.Join()), cancel);
        clock.Stop();

        foreach (var client in clients)
        {
            client.Dispose();
        }

        if (!failures.IsEmpty)
        {
            throw new AggregateException("load run failed", failures);
        }

        var all = latencies.SelectMany(l => l).ToArray();
        var seconds = clock.Elapsed.TotalSeconds;
        return new LoadResult(connections, messages, size, users, seconds, messages / seconds, LatencyStats.From(all));
    }
}
