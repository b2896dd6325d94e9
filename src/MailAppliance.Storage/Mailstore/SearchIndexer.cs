using Microsoft.Extensions.Logging;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// Moves delivered messages' search text into the trigram index (<see cref="MailStore.IndexPendingAsync"/>) in the
/// background, when this process has taken no delivery and served no client's command for <see cref="Quiet"/>, so
/// that the dear index update never slows delivery or a reader down (a burst delivered all at once left seconds of
/// indexing that ran beside the next FETCH: ENVELOPE BODYSTRUCTURE of 10,000 messages took 0.13 s instead of
/// 0.09 s); after <see cref="MaxDeferral"/> of waiting it indexes a smaller batch regardless, so a steady stream of
/// mail or commands cannot starve it. SEARCH is exact meanwhile: it reads the pending rows of a mailbox as they are.
/// </summary>
public sealed class SearchIndexer(MailStore store, TimeProvider time, ILogger<SearchIndexer> logger)
{
    public int BatchSize { get; init; } = 200;

    public TimeSpan Quiet { get; init; } = TimeSpan.FromMilliseconds(300);

    public TimeSpan MaxDeferral { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Batches indexed at once while nothing else is under way. The index update is PostgreSQL's work (trigrams into
    /// GIN), one core per batch: on two cores a backlog of 10,000 messages took 9 s with one batch at a time, seconds
    /// in which SEARCH reads the pending rows as they are. Batches claim their rows with SKIP LOCKED, so they never
    /// take the same message. A batch forced through while busy is always alone.
    /// </summary>
    public int Workers { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 2);

    /// <summary>How often an idle indexer looks for work (deliveries of other processes land here too).</summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>When the queue is empty and this many search rows changed since the planner's last look, it looks again.</summary>
    public int AnalyzeAfter { get; init; } = 1000;

    /// <summary>How often an idle indexer asks whether the statistics are stale.</summary>
    public TimeSpan AnalyzeCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Raised after each batch with how many messages it indexed (0: nothing was pending).</summary>
    public event Action<int>? BatchIndexed;

    /// <summary>Raised each time the indexer waits because deliveries or clients' commands are under way.</summary>
    public event Action? Deferred;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var lastBatch = time.GetTimestamp();
        var failures = 0;
        var lastAnalyzeCheck = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var busy = store.SinceLastDelivery < Quiet || store.ClientsBusy(Quiet);
                if (busy && time.GetElapsedTime(lastBatch) < MaxDeferral)
                {
                    Deferred?.Invoke();
                    await Task.Delay(Quiet, time, cancellationToken);
                    continue;
                }

                // Forced through while busy: a quarter of a batch, so what it takes from the others stays short.
                var indexed = busy || Workers == 1
                    ? await store.IndexPendingAsync(busy ? Math.Max(1, BatchSize / 4) : BatchSize, cancellationToken)
                    : (await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => store.IndexPendingAsync(BatchSize, cancellationToken)))).Sum();
                lastBatch = time.GetTimestamp();
                failures = 0;
                if (indexed == 0 && time.GetElapsedTime(lastAnalyzeCheck) >= AnalyzeCheckInterval)
                {
                    await store.AnalyzeSearchIndexAsync(AnalyzeAfter, cancellationToken);
                    lastAnalyzeCheck = time.GetTimestamp();
                }

                BatchIndexed?.Invoke(indexed);
                if (indexed == 0)
                {
                    await Task.Delay(IdlePoll, time, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database is away, or a message could not be read: try again later; SEARCH stays exact meanwhile.
                failures++;
                logger.LogWarning(e, "Search indexing failed; trying again");
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, failures * 2)), time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
