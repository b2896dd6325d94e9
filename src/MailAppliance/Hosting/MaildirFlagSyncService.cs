using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>
/// Maildir file names after STORE (MailStore.FlagSync): each STORE starts its own renames; this sweeps now and then
/// for marks left by a process that died before finishing them, and on shutdown waits for the renames in flight.
/// </summary>
public sealed class MaildirFlagSyncService(MailStore store, TimeProvider time, ILogger<MaildirFlagSyncService> logger) : BackgroundService
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(SweepInterval, time, stoppingToken);
                await store.SyncAllMaildirFlagsAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The marks stay; the next sweep tries again.
                logger.LogWarning(e, "Maildir flag sweep failed");
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Renames in flight finish (a cut-off one would be redone at the next start, but need not be).
        await store.FlagSyncsIdleAsync().WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
