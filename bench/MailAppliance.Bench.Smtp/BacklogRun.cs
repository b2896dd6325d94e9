using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MailAppliance.Bench.Smtp;

/// <summary>
/// How long the appliance takes to drain a spool backlog after a restart: serve, load N messages, SIGKILL right
/// after the last 250 (the delivery worker is behind), then serve again and time until the spool holds no .msg
/// files and the maildirs hold every message.
/// </summary>
internal static class BacklogRun
{
    public static async Task<int> RunVerbAsync(Options options)
    {
        var executable = options.Text("server", "/tmp/ma-bench-out/mailappliance");
        var config = options.Required("config");
        var data = options.Required("data");
        var port = options.Int("port", 2525);
        var messages = options.Int("messages", 10_000);
        var size = options.Size("size", 1024);
        var users = options.Int("users", 100);
        var connections = options.Int("connections", 8);
        var domain = options.Text("rcpt-domain", "bench.test");
        var log = options.Text("log", Path.Combine(Path.GetTempPath(), "mailappliance-bench-backlog.log"));
        var spool = Path.Combine(data, "spool");
        var mail = Path.Combine(data, "mail", domain);

        var baseline = CountMaildirFiles(mail);
        var intake = ServerProcess.Start(executable, config, log);
        await intake.WaitReadyAsync(port, TimeSpan.FromMinutes(2));
        var load = await LoadRun.RunAsync(port, connections, messages, size, domain, users, CancellationToken.None);
        await intake.KillAsync();
        intake.Dispose();
        Console.Error.WriteLine(load.TableLine());

        var queued = CountSpoolFiles(spool);
        var deliveredBeforeKill = CountMaildirFiles(mail) - baseline;
        Console.Error.WriteLine($"after SIGKILL: {queued} .msg in spool, {deliveredBeforeKill} delivered before the kill");

        var clock = Stopwatch.StartNew();
        using var drain = ServerProcess.Start(executable, config, log);
        await drain.WaitReadyAsync(port, TimeSpan.FromMinutes(2));
        var ready = clock.Elapsed.TotalSeconds;
        var timeout = TimeSpan.FromSeconds(options.Int("timeout", 600));
        int left;
        long delivered;
        var progress = TimeSpan.FromSeconds(10);
        while (true)
        {
            left = CountSpoolFiles(spool);
            delivered = CountMaildirFiles(mail) - baseline;
            if ((left == 0 && delivered >= messages) || clock.Elapsed > timeout)
            {
                break;
            }

            if (clock.Elapsed >= progress)
            {
                Console.Error.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: {left} .msg left, {delivered} delivered");
                progress += TimeSpan.FromSeconds(10);
            }

            await Task.Delay(100);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await drain.TerminateAsync(TimeSpan.FromSeconds(60));
        var done = left == 0 && delivered >= messages;
        var rate = (queued - left) / Math.Max(seconds, 1e-9); // spool files settled per second
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| backlog {queued,6:N0} msgs | {(done ? "drained" : "TIMED OUT")} in {seconds,7:F1} s (listening after {ready:F1} s) | {rate,7:F1} msg/s | delivered {delivered:N0}/{messages:N0} |"));
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            verb = "backlog",
            messages,
            size,
            users,
            queuedAtKill = queued,
            deliveredBeforeKill,
            drained = done,
            leftInSpool = left,
            deliveredTotal = delivered,
            seconds = Math.Round(seconds, 2),
            listeningAfterSeconds = Math.Round(ready, 2),
            messagesPerSecond = Math.Round(rate, 1),
            intakeMessagesPerSecond = Math.Round(load.MessagesPerSecond, 1),
        }));
        return done ? 0 : 1;
    }

    private static int CountSpoolFiles(string spool) =>
        Directory.Exists(spool) ? Directory.EnumerateFiles(spool, "*.msg").Count() : 0;

    /// <summary>Every file in new/ and cur/ of every mailbox of the domain.</summary>
    private static long CountMaildirFiles(string domainDirectory)
    {
        if (!Directory.Exists(domainDirectory))
        {
            return 0;
        }

        long count = 0;
        foreach (var user in Directory.EnumerateDirectories(domainDirectory))
        {
            foreach (var sub in new[] { "new", "cur" })
            {
                var dir = Path.Combine(user, "Maildir", sub);
                if (Directory.Exists(dir))
                {
                    count += Directory.EnumerateFiles(dir).Count();
                }
            }
        }

        return count;
    }
}
