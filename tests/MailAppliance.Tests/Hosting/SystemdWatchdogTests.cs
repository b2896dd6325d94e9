using System.Net.Sockets;
using System.Text;
using MailAppliance.Hosting;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailAppliance.Tests.Hosting;

/// <summary>
/// The systemd watchdog: WATCHDOG=1 at half of WATCHDOG_USEC, to a real unix datagram socket standing in for
/// systemd's NOTIFY_SOCKET; nothing when the watchdog is off or meant for another process.
/// </summary>
public sealed class SystemdWatchdogTests : IDisposable
{
    private readonly string _path = Path.Combine("/tmp", $"ma-watchdog-{Guid.NewGuid():N}.sock");
    private readonly Socket _systemd = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public SystemdWatchdogTests() => _systemd.Bind(new UnixDomainSocketEndPoint(_path));

    public void Dispose()
    {
        _systemd.Dispose();
        File.Delete(_path);
    }

    private async Task<string> ReceiveAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        var received = await _systemd.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
        return Encoding.UTF8.GetString(buffer, 0, received);
    }

    [Theory]
    [InlineData("30000000", null, 15_000.0)]
    [InlineData("30000000", "4242", 15_000.0)]
    [InlineData("1000", "", 0.5)]
    [InlineData("30000000", "4243", null)]
    [InlineData("0", null, null)]
    [InlineData("", null, null)]
    [InlineData(null, null, null)]
    [InlineData("-5", null, null)]
    [InlineData("30s", null, null)]
    public void The_interval_is_half_of_WATCHDOG_USEC_for_this_process_only(string? usec, string? pid, double? milliseconds) =>
        Assert.Equal(milliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null, SystemdWatchdog.IntervalFrom(usec, pid, 4242));

    [Fact]
    public async Task Pings_come_at_once_then_every_half_interval()
    {
        var time = new FakeTimeProvider();
        var notifier = new SystemdNotifier(_path, NullLogger<SystemdNotifier>.Instance);
        using var watchdog = new SystemdWatchdog(notifier, SystemdWatchdog.IntervalFrom("30000000", null, 1), time);
        await watchdog.StartAsync(CancellationToken.None);

        Assert.Equal("WATCHDOG=1", await ReceiveAsync(TimeSpan.FromSeconds(10)));
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(14.9));
            Assert.Equal(0, _systemd.Available);
            time.Advance(TimeSpan.FromSeconds(0.1));
            Assert.Equal("WATCHDOG=1", await ReceiveAsync(TimeSpan.FromSeconds(10)));
        }

        await watchdog.StopAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, _systemd.Available);
    }

    [Fact]
    public async Task Serve_pings_the_watchdog_systemd_asks_for()
    {
        var root = TestDirectories.Create("watchdog");
        try
        {
            var config = Path.Combine(root, "appliance.json");
            await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new
            {
                Hostname = "mx.example.test",
                Storage = new { DataDirectory = Path.Combine(root, "data") },
                Listeners = new { Smtp = "", Submission = "", Submissions = "", Imap = "", Imaps = "", Pop3 = "", Pop3s = "", ManageSieve = "" },
                Http = new { Listen = "" },
            }));
            await using var serve = ServeProcess.Start(config, new Dictionary<string, string> { ["WATCHDOG_USEC"] = "2000000" });
            await serve.WaitForNotificationAsync("READY=1", TimeSpan.FromSeconds(90));

            // Pings keep coming after READY=1 (the exact spacing is the test above's, on a fake clock).
            for (var i = 0; i < 3; i++)
            {
                await serve.WaitForNotificationAsync("WATCHDOG=1", TimeSpan.FromSeconds(10));
            }

            serve.Signal(ServeProcess.SigTerm);
            Assert.Equal(0, await serve.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        }
        finally
        {
            TestDirectories.Delete(root);
        }
    }
}
