using System.Globalization;
using Microsoft.Extensions.Hosting;

namespace MailAppliance.Hosting;

/// <summary>
/// The service watchdog (sd_watchdog_enabled(3)): with <c>WatchdogSec=</c> in the unit, systemd passes
/// <c>WATCHDOG_USEC</c> (and <c>WATCHDOG_PID</c>) and restarts the service when no <c>WATCHDOG=1</c> comes within that
/// time. We send one at half the interval, as sd_watchdog_enabled's man page advises, from a timer on the thread pool:
/// a process whose pool is starved or deadlocked stops pinging and is restarted. A database outage does not stop the
/// pings (the listeners stay open and answer 4xx, INTERFACE.md); only a wedged process does.
/// </summary>
public sealed class SystemdWatchdog : BackgroundService
{
    private readonly SystemdNotifier _notifier;
    private readonly TimeSpan? _interval;
    private readonly TimeProvider _time;

    public SystemdWatchdog(SystemdNotifier notifier, TimeSpan? interval, TimeProvider time)
    {
        _notifier = notifier;
        _interval = interval;
        _time = time;
    }

    /// <summary>How often to ping (half of WATCHDOG_USEC), or null when the watchdog is off or meant for another process.</summary>
    public static TimeSpan? IntervalFrom(string? watchdogUsec, string? watchdogPid, int processId)
    {
        if (!ulong.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec == 0)
        {
            return null;
        }

        // sd_watchdog_enabled(3): WATCHDOG_PID names the process the watchdog is for; a child that inherited the
        // variables must not ping in its parent's name.
        if (!string.IsNullOrEmpty(watchdogPid) && (!int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid != processId))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(usec / 2.0);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_interval is not { } interval || !_notifier.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, _time);
        do
        {
            _notifier.Notify("WATCHDOG=1");
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
