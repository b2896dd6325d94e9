using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace MailAppliance.Bench.Imap;

/// <summary>Timing, medians, the server's resident memory, and the connection settings every verb shares.</summary>
internal static class Measure
{
    public static async Task<double> MillisecondsAsync(Func<Task> action)
    {
        var started = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string Runs(IReadOnlyList<double> values, string format = "F1") =>
        string.Join(" / ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));

    /// <summary>VmRSS of a process from /proc/PID/status, in KiB.</summary>
    public static long RssKiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no VmRSS in /proc/{pid}/status");
    }

    /// <summary>
    /// CPU time (user + system) a process has used so far, in milliseconds (10 ms resolution). On a shared machine
    /// the CPU a command costs is steadier than its wall time.
    /// </summary>
    public static double CpuMilliseconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of proc(5), counted from the state (field 3) here: utime and stime in clock ticks.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * 10.0;
    }

    public static IPEndPoint Server(Options options) => new(IPAddress.Loopback, options.Int("port", 2143));

    public static async Task<ImapClient> LoginAsync(Options options, IPAddress? local, int bufferSize, CancellationToken cancellationToken)
    {
        var client = await ImapClient.ConnectAsync(Server(options), local, bufferSize, cancellationToken);
        await client.LoginAsync(options.Text("user", "u1@bench.test"), options.Text("password", "bench-password"), cancellationToken);
        return client;
    }
}
