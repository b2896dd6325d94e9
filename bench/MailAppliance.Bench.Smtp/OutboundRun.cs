using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace MailAppliance.Bench.Smtp;

/// <summary>
/// Relaying throughput: N messages submitted to an MTA on loopback (the appliance, or Postfix for comparison), all
/// for one remote domain the MTA sends on to this tool's <see cref="CountingSink"/>. The figure is messages per
/// second from the first submission to the last arrival at the sink: intake, queue and outbound delivery together.
/// </summary>
internal static class OutboundRun
{
    public static async Task<int> RunVerbAsync(Options options)
    {
        var label = options.Text("label", "mta");
        var port = options.Int("port", 2525);
        var sinkPort = options.Int("sink-port", 2526);
        var messages = options.Int("messages", 2000);
        var size = options.Size("size", 1024);
        var connections = options.Int("connections", 8);
        var domain = options.Text("rcpt-domain", "remote.bench.test");
        var timeout = TimeSpan.FromSeconds(options.Int("timeout", 900));

        var roots = options.Text("cpu-pids", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
        await using var sink = new CountingSink(IPAddress.Parse(options.Text("sink-address", "127.0.0.1")), sinkPort);
        var cpuBefore = ProcessTreeCpu.Seconds(roots);
        var started = Stopwatch.GetTimestamp();
        var load = await LoadRun.RunAsync(port, connections, messages, size, domain, 100, CancellationToken.None);
        var intakeDone = Stopwatch.GetTimestamp();
        var last = await sink.WaitForAsync(messages, timeout);
        var seconds = Stopwatch.GetElapsedTime(started, last).TotalSeconds;
        // The MTA's own CPU (its processes and their children, PostgreSQL's for the appliance), for a shared machine
        // where elapsed time says as much about the neighbours as about the MTA. Read once the queue has settled.
        await Task.Delay(TimeSpan.FromSeconds(roots.Count > 0 ? 2 : 0));
        var cpu = ProcessTreeCpu.Seconds(roots) - cpuBefore;
        var intake = Stopwatch.GetElapsedTime(started, intakeDone).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {label,-12} | {messages,6:N0} msgs of {size:N0} B | {connections} conn | intake {intake,7:F2} s | last arrival {seconds,7:F2} s | {messages / seconds,8:F1} msg/s | CPU {cpu,6:F2} s ({cpu * 1000 / messages:F2} ms/msg) | {sink.Connections} sink connections |"));
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            verb = "outbound",
            label,
            messages,
            size,
            connections,
            intakeSeconds = Math.Round(intake, 3),
            seconds = Math.Round(seconds, 3),
            messagesPerSecond = Math.Round(messages / seconds, 1),
            sinkConnections = sink.Connections,
            cpuSeconds = Math.Round(cpu, 3),
            intakeP99Ms = Math.Round(load.Latency.P99Ms, 2),
        }));
        return 0;
    }
}

/// <summary>CPU time of process trees from /proc: each root with its reaped children, plus every live descendant.</summary>
internal static class ProcessTreeCpu
{
    public static double Seconds(IReadOnlyList<int> roots)
    {
        var ticks = 0L;
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Stat(pid) is { } stat)
            {
                if (!children.TryGetValue(stat.Parent, out var list))
                {
                    children[stat.Parent] = list = [];
                }

                list.Add(pid);
            }
        }

        var pending = new Stack<int>(roots);
        while (pending.Count > 0)
        {
            var pid = pending.Pop();
            if (Stat(pid) is { } stat)
            {
                ticks += stat.Ticks;
            }

            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                pending.Push(child);
            }
        }

        return ticks / 100.0; // USER_HZ
    }

    /// <summary>Parent pid and utime + stime + cutime + cstime (fields 4, 14-17 of /proc/PID/stat).</summary>
    private static (int Parent, long Ticks)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is the state (field 3), so field N is fields[N - 3].
            return (int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
                + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
    }
}
