using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MailAppliance.Bench.Smtp;

/// <summary>Sends one large message while sampling the server's VmRSS every 50 ms.</summary>
internal static class RssRun
{
    public static async Task<int> RunVerbAsync(Options options)
    {
        var pid = options.Int("pid", 0);
        var port = options.Int("port", 2525);
        var size = options.Size("size", 50L * 1024 * 1024);
        var rcpt = options.Text("rcpt", "u1@bench.test");
        var settle = TimeSpan.FromSeconds(options.Int("settle", 2));
        var warmup = options.Int("warmup", 1);
        var body = MessageBody.Build(size, "rss@bench-client.test", rcpt);

        // One-time costs (code compiled on first use, the database pool, the delivery worker's first round) are not
        // what this measures: with --warmup N (default 1), N small messages go through intake and delivery first, so
        // the growth is what holding a large message in flight costs.
        if (warmup > 0)
        {
            using var warm = SmtpClientConnection.Open(port);
            var small = MessageBody.Build(1024, "rss@bench-client.test", rcpt);
            for (var i = 0; i < warmup; i++)
            {
                warm.Send("rss@bench-client.test", rcpt, small);
            }

            await Task.Delay(settle);
        }

        var before = ReadRssKiB(pid);
        var peak = before;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            while (await timer.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, ReadRssKiB(pid));
            }
        });

        using var client = SmtpClientConnection.Open(port);
        var ticks = await Task.Run(() => client.Send("rss@bench-client.test", rcpt, body));
        // Keep sampling after the 250: the delivery worker reads, indexes and copies the message into the maildir
        // afterwards (on an idle server within seconds; behind a backlog much later).
        await Task.Delay(settle);
        await stop.CancelAsync();
        await sampler;
        var after = ReadRssKiB(pid);

        var seconds = ticks / (double)Stopwatch.Frequency;
        var growthMiB = (peak - before) / 1024.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {size,12:N0} B | {seconds,6:F2} s | RSS before {before / 1024.0,7:F1} MiB | peak {peak / 1024.0,7:F1} MiB | growth {growthMiB,6:F1} MiB | after {after / 1024.0,7:F1} MiB |"));
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            verb = "rss",
            size,
            seconds = Math.Round(seconds, 3),
            rssBeforeMiB = Math.Round(before / 1024.0, 1),
            rssPeakMiB = Math.Round(peak / 1024.0, 1),
            rssGrowthMiB = Math.Round(growthMiB, 1),
            rssAfterMiB = Math.Round(after / 1024.0, 1),
            warmupMessages = warmup,
        }));
        return 0;
    }

    /// <summary>VmRSS from /proc/PID/status, in KiB.</summary>
    public static long ReadRssKiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var digits = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(digits, CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no VmRSS in /proc/{pid}/status");
    }
}
