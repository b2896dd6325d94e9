namespace MailAppliance.Storage.Durability;

/// <summary>
/// Group commit for one flush operation (a directory fsync, a file system's syncfs): every caller needs "what I did
/// before calling is durable", and one flush that starts after those changes covers them all. Callers that arrive
/// while a flush runs share the next one, so under load many callers share one flush, and none is told "durable"
/// before a flush that began after its call has finished.
/// </summary>
/// <remarks>
/// A caller that finds no flush running and nobody waiting runs the flush itself, on its own thread, and goes on
/// without a hand-off: a lone SMTP client's 250 waited two thread switches (to the flush thread and back to the pool)
/// beside the flush. Callers that arrive while a flush runs wait for the next one, which runs on a thread of its own,
/// started on first use and kept, rather than on the thread pool: under load, pool threads stuck in fsync are fewer
/// to answer sockets, and on a small machine the pool has only a couple. Waiting uses a monitor, which blocks
/// without the sched_yield spinning of SemaphoreSlim.
/// </remarks>
public sealed class SyncBatcher
{
    private readonly Action _flush;
    private readonly string _threadName;
    private readonly object _gate = new();
    private TaskCompletionSource? _next;
    private bool _flushing; // a flush runs (a caller's own or the thread's)
    private Thread? _thread;

    public SyncBatcher(Action flush, string threadName)
    {
        _flush = flush;
        _threadName = threadName;
    }

    /// <summary>How many flushes ran (for tests and benchmarks).</summary>
    public long Flushes => Interlocked.Read(ref _flushes);

    private long _flushes;

    /// <summary>Completes once a flush that started after this call has finished; faults if that flush failed.</summary>
    public Task SyncAsync()
    {
        lock (_gate)
        {
            if (_flushing || _next is not null)
            {
                if (_next is null)
                {
                    _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    Monitor.Pulse(_gate);
                }

                if (_thread is null)
                {
                    _thread = new Thread(Run) { IsBackground = true, Name = _threadName };
                    _thread.Start();
                }

                return _next.Task;
            }

            _flushing = true; // nothing runs and nobody waits: this caller flushes, here
        }

        try
        {
            Flush();
            return Task.CompletedTask;
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    private void Run()
    {
        while (true)
        {
            TaskCompletionSource batch;
            lock (_gate)
            {
                while (_next is null || _flushing)
                {
                    Monitor.Wait(_gate);
                }

                batch = _next;
                _next = null; // later callers wait for the next round
                _flushing = true;
            }

            try
            {
                Flush();
                batch.SetResult();
            }
            catch (Exception e)
            {
                batch.SetException(e);
            }
        }
    }

    /// <summary>One flush; when it ends, the thread is told if callers came meanwhile.</summary>
    private void Flush()
    {
        try
        {
            _flush();
            Interlocked.Increment(ref _flushes);
        }
        finally
        {
            lock (_gate)
            {
                _flushing = false;
                if (_next is not null)
                {
                    Monitor.Pulse(_gate);
                }
            }
        }
    }
}
