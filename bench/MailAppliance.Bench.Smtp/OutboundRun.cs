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

        await using var sink = new CountingSink(IPAddress.Parse(options.Text("sink-address", "127.0.0.1")), sinkPort);
        var started = Stopwatch.GetTimestamp();
        var load = await LoadRun.RunAsync(port, connections, messages, size, domain, 100, CancellationToken.None);
        var intakeDone = Stopwatch.GetTimestamp();
        var last = await sink.WaitForAsync(messages, timeout);
        var seconds = Stopwatch.GetElapsedTime(started, last).TotalSeconds;
        var intake = Stopwatch.GetElapsedTime(started, intakeDone).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {label,-12} | {messages,6:N0} msgs of {size:N0} B | {connections} conn | intake {intake,7:F2} s | last arrival {seconds,7:F2} s | {messages / seconds,8:F1} msg/s | {sink.Connections} sink connections |"));
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
            intakeP99Ms = Math.Round(load.Latency.P99Ms, 2),
        }));
        return 0;
    }
}
