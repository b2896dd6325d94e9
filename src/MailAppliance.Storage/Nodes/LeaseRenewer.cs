using Microsoft.Extensions.Logging;

namespace MailAppliance.Storage.Nodes;

/// <summary>
/// Keeps a node's leases alive: every third of the lease it runs the owner's renewal (one statement for everything
/// the node holds), so a lease only runs out when its node stops renewing: it died, hangs, or lost the database for
/// longer than the lease. A failed renewal is logged and tried again at the next tick.
/// </summary>
public sealed class LeaseRenewer : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task> _renew;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _stop = new();
    private int _running;

    public LeaseRenewer(TimeSpan lease, Func<CancellationToken, Task> renew, TimeProvider time, ILogger logger)
    {
        _renew = renew;
        _logger = logger;
        var period = lease / 3;
        _timer = time.CreateTimer(_ => _ = TickAsync(), null, period, period);
    }

    private async Task TickAsync()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return; // the last renewal still runs (a slow database): never pile them up
        }

        try
        {
            await _renew(_stop.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            _logger.LogWarning(e, "Lease renewal failed; trying again at the next tick");
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync();
        await _stop.CancelAsync();
        _stop.Dispose();
    }
}
