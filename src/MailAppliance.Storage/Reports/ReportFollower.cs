using System.Runtime.CompilerServices;
using MailAppliance.Storage.Database;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Storage.Reports;

/// <summary>
/// Wakes followers of the report log: one LISTEN on <c>report_events</c> per process, however many followers (the
/// console's live views, <c>report --follow</c>). A follower also looks once a second on its own, so a lost
/// notification (the LISTEN connection down for a moment) delays an event by a second at most, never for ever.
/// </summary>
public sealed class ReportFeed : IAsyncDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private readonly ChannelListener _listener;
    private TaskCompletionSource _changed = NewSignal();

    public ReportFeed(StorageDatabase database, ILogger<ReportFeed> logger)
    {
        _listener = new ChannelListener(database, "report_events", logger);
        _listener.Notified += _ => Signal();
        _listener.Connected += Signal;
    }

    /// <summary>Completes when new events may have been written, or after <see cref="PollInterval"/>.</summary>
    public async Task WaitAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        _listener.EnsureStarted();
        var changed = Volatile.Read(ref _changed).Task;
        try
        {
            await changed.WaitAsync(PollInterval, time, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}

/// <summary>
/// Reads new events as they are written, in id order. Ids come from one sequence, but two processes' batches may
/// commit out of id order; so ids seen in the last few seconds are read again and skipped when already given, and
/// only ids older than that window are taken as settled.
/// </summary>
public sealed class ReportFollower
{
    private const int PageSize = 1000;
    private static readonly TimeSpan SettleWindow = TimeSpan.FromSeconds(5);
    private readonly ReportStore _store;
    private readonly ReportFeed _feed;
    private readonly TimeProvider _time;

    public ReportFollower(ReportStore store, ReportFeed feed, TimeProvider time)
    {
        _store = store;
        _feed = feed;
        _time = time;
    }

    /// <summary>Every event matching <paramref name="filter"/> written after <paramref name="afterId"/>, until cancelled.</summary>
    public async IAsyncEnumerable<ReportEntry> FollowAsync(ReportFilter filter, long afterId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var settled = afterId;
        var recent = new Dictionary<long, DateTimeOffset>();
        while (!cancellationToken.IsCancellationRequested)
        {
            // One round: every page after the settled mark (ids of the window read again, skipped when given).
            var cursor = settled;
            while (true)
            {
                IReadOnlyList<ReportEntry> page;
                try
                {
                    page = await _store.AfterAsync(filter, cursor, PageSize, cancellationToken);
                }
                catch (Exception e) when (StorageFailures.IsTemporary(e))
                {
                    break; // the database is away: look again at the next wake-up
                }

                var seenAt = _time.GetUtcNow();
                foreach (var entry in page)
                {
                    if (recent.TryAdd(entry.Id, seenAt))
                    {
                        yield return entry;
                    }
                }

                if (page.Count < PageSize)
                {
                    break;
                }

                cursor = page[^1].Id;
            }

            var now = _time.GetUtcNow();
            foreach (var (id, seen) in recent)
            {
                if (now - seen > SettleWindow)
                {
                    settled = Math.Max(settled, id);
                }
            }

            foreach (var id in recent.Keys.Where(id => id <= settled).ToList())
            {
                recent.Remove(id);
            }

            await _feed.WaitAsync(_time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
