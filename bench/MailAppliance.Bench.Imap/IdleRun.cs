using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace MailAppliance.Bench.Imap;

/// <summary>
/// The server's resident memory with N connections each logged in, INBOX selected, and in IDLE. Connections come
/// from <c>--sources</c> loopback addresses (127.0.0.10, .11, …) so none exceeds the listener's 200 per address.
/// </summary>
internal static class IdleRun
{
    public static async Task<int> RunVerbAsync(Options options, CancellationToken cancellationToken)
    {
        var pid = options.Int("pid", 0);
        var count = options.Int("connections", 1000);
        var sources = options.Int("sources", Math.Max(1, (count + 149) / 150));
        var parallel = options.Int("parallel", 32);
        var settle = TimeSpan.FromSeconds(options.Int("settle", 10));
        var mailbox = options.Text("mailbox", "INBOX");

        // The clients read little; a small buffer keeps 10,000 of them cheap on this side too.
        var clients = new ImapClient[count];
        var rssBefore = Measure.RssKiB(pid);
        var opening = Stopwatch.GetTimestamp();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, async (i, token) =>
        {
            var local = IPAddress.Parse("127.0.0." + (10 + (i % sources)).ToString(CultureInfo.InvariantCulture));
            var client = await Measure.LoginAsync(options, local, 1024, token);
            await client.CommandAsync("SELECT " + mailbox, null, token);
            await client.SendCommandAsync("IDLE", token);
            var reply = await client.ReadResponseAsync(keepText: true, token);
            if (reply.Text is null || !reply.Text.StartsWith('+'))
            {
                throw new InvalidOperationException("IDLE answered " + reply.Text);
            }

            clients[i] = client;
        });
        var openSeconds = Stopwatch.GetElapsedTime(opening).TotalSeconds;

        // Let the runtime settle (GC after the login and SELECT garbage), then take the median of a few samples.
        await Task.Delay(settle, cancellationToken);
        var samples = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            samples.Add(Measure.RssKiB(pid));
            await Task.Delay(1000, cancellationToken);
        }

        var rss = Measure.Median(samples);
        var perConnection = (rss - rssBefore) / count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {count:N0} in IDLE on {mailbox} | RSS {rssBefore / 1024.0:F0} → {rss / 1024.0:F0} MiB | {perConnection:F1} KiB per connection | opened in {openSeconds:F1} s |"));
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            verb = "idle", connections = count, sources, rssBeforeMiB = Math.Round(rssBefore / 1024.0, 1), rssMiB = Math.Round(rss / 1024.0, 1),
            perConnectionKiB = Math.Round(perConnection, 1), openSeconds = Math.Round(openSeconds, 1),
        }));

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        return 0;
    }
}
