using MailAppliance.Storage.Reports;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Storage.Tests.Reports;

/// <summary>The report log in a real PostgreSQL: batched writes, filters (a user sees only their own), day partitions
/// and retention, and a writer that never blocks or fails its caller.</summary>
public sealed class ReportStoreTests : IClassFixture<DatabaseFixture>
{
    private readonly DatabaseFixture _db;

    public ReportStoreTests(DatabaseFixture db) => _db = db;

    private static ReportEvent Event(ReportKind kind, string sender, string recipient, DateTimeOffset time, string? queueId = null) => new()
    {
        Time = time,
        Kind = kind,
        Sender = sender,
        Recipient = recipient,
        QueueId = queueId,
        Domain = recipient[(recipient.IndexOf('@', StringComparison.Ordinal) + 1)..],
        Symbols = kind == ReportKind.Accepted ? [new ReportSymbol("MISSING_DATE", 1.0)] : null,
        Score = kind == ReportKind.Accepted ? 1.0 : null,
    };

    [Fact]
    public async Task A_batch_is_written_and_read_back_with_every_field_and_filter()
    {
        var store = new ReportStore(_db.Database);
        var now = DateTimeOffset.UtcNow;
        var queueId = "Q" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        await store.InsertAsync(
        [
            Event(ReportKind.Accepted, "a@example.net", "bob@filters.test", now, queueId),
            Event(ReportKind.Delivered, "a@example.net", "bob@filters.test", now.AddMilliseconds(5), queueId) with { Folder = "INBOX", User = "bob@filters.test" },
            Event(ReportKind.Rejected, "spam\0mer@example.net", "carol@filters.test", now.AddMilliseconds(10)) with { Stage = ReportStage.Rcpt, Reply = "550 5.1.1 No such user here" },
        ], CancellationToken.None);

        var trail = await store.QueryAsync(new ReportFilter { QueueId = queueId }, 10, newestFirst: false, CancellationToken.None);
        Assert.Equal([ReportKind.Accepted, ReportKind.Delivered], trail.Select(e => e.Event.Kind));
        Assert.Equal("MISSING_DATE", Assert.Single(trail[0].Event.Symbols!).Name);
        Assert.Equal("INBOX", trail[1].Event.Folder);

        var bob = await store.QueryAsync(new ReportFilter { Viewer = "BOB@filters.test", Since = now.AddMinutes(-1) }, 10, newestFirst: true, CancellationToken.None);
        Assert.Equal([ReportKind.Delivered, ReportKind.Accepted], bob.Select(e => e.Event.Kind));

        var rejected = await store.QueryAsync(new ReportFilter { Kinds = [ReportKind.Rejected], Domain = "filters.test" }, 10, newestFirst: false, CancellationToken.None);
        var refusal = Assert.Single(rejected).Event;
        Assert.Equal("spammer@example.net", refusal.Sender); // NUL cannot be stored: it goes
        Assert.Equal(ReportStage.Rcpt, refusal.Stage);
    }

    [Fact]
    public async Task Partitions_are_made_ahead_and_dropped_past_the_retention()
    {
        var store = new ReportStore(_db.Database);
        var now = DateTimeOffset.UtcNow;
        await store.InsertAsync([Event(ReportKind.Delivered, "a@example.net", "old@retention.test", now.AddDays(-40))], CancellationToken.None);
        var dropped = await store.MaintainAsync(now, retentionDays: 30, daysAhead: 2, CancellationToken.None);
        Assert.Contains("report_events_" + now.AddDays(-40).UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture), dropped);
        var days = (await store.PartitionsAsync(CancellationToken.None)).Select(p => p.Day).ToList();
        Assert.Contains(DateOnly.FromDateTime(now.UtcDateTime.AddDays(2)), days);
        Assert.Empty(await store.QueryAsync(new ReportFilter { Domain = "retention.test" }, 10, newestFirst: false, CancellationToken.None));
    }

    [Fact]
    public async Task The_writer_records_without_waiting_and_writes_in_batches()
    {
        var store = new ReportStore(_db.Database);
        await using var writer = new ReportWriter(store, TimeProvider.System, NullLogger<ReportWriter>.Instance);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 5000; i++)
        {
            writer.Record(new ReportEvent { Kind = ReportKind.Accepted, Recipient = $"u{i}@batch.test", Sender = "s@example.net" });
        }

        var recording = watch.Elapsed;
        await writer.FlushAndStopAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(5000, writer.Written);
        Assert.True(recording < TimeSpan.FromSeconds(1), $"recording 5000 events took {recording.TotalMilliseconds:0} ms");
        var rows = await store.QueryAsync(new ReportFilter { Domain = "batch.test" }, 10_000, newestFirst: false, CancellationToken.None);
        Assert.Equal(5000, rows.Count);
    }

    /// <summary>A clock whose timers fire only when the test says so, and which tells when one is set.</summary>
    private sealed class GatedTime : TimeProvider
    {
        private readonly TaskCompletionSource<(TimerCallback Callback, object? State)> _set = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<(TimerCallback Callback, object? State)> TimerSet => _set.Task;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _set.TrySetResult((callback, state));
            return new Never();
        }

        private sealed class Never : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task Events_that_trickle_in_while_the_first_waits_share_its_batch()
    {
        var store = new ReportStore(_db.Database);
        var time = new GatedTime();
        await using var writer = new ReportWriter(store, time, NullLogger<ReportWriter>.Instance);
        writer.Record(new ReportEvent { Kind = ReportKind.Accepted, Recipient = "first@gather.test", Time = DateTimeOffset.UtcNow });

        // The writer holds the first event for a while (its timer is set) instead of writing it alone at once.
        var (callback, state) = await time.TimerSet.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 9; i++)
        {
            writer.Record(new ReportEvent { Kind = ReportKind.Accepted, Recipient = $"u{i}@gather.test", Time = DateTimeOffset.UtcNow });
        }

        callback(state);
        await writer.FlushAndStopAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(10, writer.Written);
        Assert.Equal(1, writer.Batches);
    }

    [Fact]
    public async Task With_the_database_unreachable_recording_still_returns_at_once_and_drops_past_the_buffer()
    {
        await using var unreachable = MailAppliance.Storage.Database.StorageDatabase.Create("Host=127.0.0.1;Port=1;Timeout=1;Database=none;Username=none");
        await using var writer = new ReportWriter(new ReportStore(unreachable), TimeProvider.System, NullLogger<ReportWriter>.Instance, capacity: 100);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++)
        {
            writer.Record(new ReportEvent { Kind = ReportKind.Rejected, Recipient = "x@down.test" });
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1));
        Assert.True(writer.Dropped >= 800, $"dropped {writer.Dropped}");
        Assert.Equal(0, writer.Written);
    }
}
