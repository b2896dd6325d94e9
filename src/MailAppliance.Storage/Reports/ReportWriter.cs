using System.Threading.Channels;
using MailAppliance.Storage.Database;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MailAppliance.Storage.Reports;

/// <summary>
/// The report sink of a running appliance. <see cref="Record"/> puts the event in a bounded buffer and returns at once;
/// one writer drains the buffer into <see cref="ReportStore"/>: after the first event of a batch it lets others gather
/// for <see cref="Gather"/> (or until a batch is full), so that a stream of mail shares one insert and one commit per
/// batch instead of paying them per event (measured: reports cost a fifth of PostgreSQL's work per message when every
/// event was its own batch); a report is seen that much later, never lost by it. While the
/// database is away the batch in hand is retried with a growing pause and new events queue up to the buffer's size;
/// beyond it they are dropped, counted, and the count is logged: reports never slow or stop the mail.
/// </summary>
public sealed class ReportWriter : IReportSink, IAsyncDisposable
{
    public const int DefaultCapacity = 50_000;
    private const int MaxBatch = 2_000;
    private static readonly TimeSpan DropLogInterval = TimeSpan.FromSeconds(10);
    private readonly ReportStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<ReportEvent> _buffer;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _hurry = new();
    private readonly Task _loop;
    private readonly int _capacity;
    private long _dropped;
    private long _droppedLogged;
    private long _written;
    private long _batches;
    private DateTimeOffset _lastDropLog;

    public ReportWriter(ReportStore store, TimeProvider time, ILogger<ReportWriter> logger, int capacity = DefaultCapacity)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _capacity = capacity;
        _buffer = Channel.CreateBounded<ReportEvent>(new BoundedChannelOptions(capacity)
        {
            // Wait: TryWrite then says false when full (DropWrite would say true and drop silently), so drops are counted.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>How long the first event of a batch waits for others (zero: written at once).</summary>
    public TimeSpan Gather { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Events dropped because the buffer was full (the database away for long, or far behind).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events written so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Batches written so far (each one insert and one commit).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    public void Record(ReportEvent reportEvent)
    {
        if (reportEvent.Time == default)
        {
            reportEvent = reportEvent with { Time = _time.GetUtcNow() };
        }

        if (!_buffer.Writer.TryWrite(reportEvent))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var batch = new List<ReportEvent>(MaxBatch);
        var reader = _buffer.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stop))
            {
                if (Gather > TimeSpan.Zero && reader.Count < MaxBatch && !_hurry.IsCancellationRequested)
                {
                    // A shutdown flushes at once (hurry), without the wait.
                    await Task.Delay(Gather, _time, _hurry.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                while (batch.Count < MaxBatch && reader.TryRead(out var next))
                {
                    batch.Add(next);
                }

                await WriteAsync(batch, stop);
                batch.Clear();
                LogDrops();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }

    /// <summary>Writes one batch, retrying while the database is unreachable; a batch PostgreSQL refuses outright (a bug,
    /// never expected) is dropped after three tries so that it cannot stop every later report.</summary>
    private async Task WriteAsync(List<ReportEvent> batch, CancellationToken stop)
    {
        var failures = 0;
        var refusals = 0;
        while (true)
        {
            try
            {
                await _store.InsertAsync(batch, stop);
                Interlocked.Add(ref _written, batch.Count);
                Interlocked.Increment(ref _batches);
                if (failures > 0)
                {
                    _logger.LogInformation("Report events are written again after {Failures} failed tries", failures);
                }

                return;
            }
            catch (PostgresException e) when (!IsTransient(e) && ++refusals < 3)
            {
                _logger.LogWarning(e, "PostgreSQL refused {Count} report events; trying again", batch.Count);
            }
            catch (PostgresException e) when (!IsTransient(e))
            {
                Interlocked.Add(ref _dropped, batch.Count);
                _logger.LogError(e, "Dropped {Count} report events PostgreSQL refused three times", batch.Count);
                return;
            }
            catch (Exception e) when (!stop.IsCancellationRequested && StorageFailures.IsTemporary(e))
            {
                if (failures++ == 0)
                {
                    _logger.LogWarning(e, "Report events cannot be written (database unavailable); holding up to {Capacity} in memory", _capacity);
                }
            }

            LogDrops();
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * (1 << Math.Min(failures + refusals, 6)))), _time, stop);
        }
    }

    private static bool IsTransient(PostgresException e) =>
        e.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
        || e.SqlState.StartsWith("57", StringComparison.Ordinal) // operator intervention (shutdown, cancel)
        || e.SqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources
        || e.SqlState == "40001" || e.SqlState == "40P01"; // serialization failure, deadlock

    private void LogDrops()
    {
        var dropped = Dropped;
        var now = _time.GetUtcNow();
        if (dropped == _droppedLogged || now - _lastDropLog < DropLogInterval)
        {
            return;
        }

        _logger.LogWarning("Dropped {Dropped} report events so far ({New} since the last count): the buffer of {Capacity} was full", dropped, dropped - _droppedLogged, _capacity);
        _droppedLogged = dropped;
        _lastDropLog = now;
    }

    /// <summary>Writes what is buffered (for up to <paramref name="timeout"/>) and stops.</summary>
    public async Task FlushAndStopAsync(TimeSpan timeout)
    {
        _buffer.Writer.TryComplete();
        await _hurry.CancelAsync();
        try
        {
            await _loop.WaitAsync(timeout, _time);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Report events still unwritten at shutdown were dropped");
        }

        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAndStopAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
        _hurry.Dispose();
    }
}
