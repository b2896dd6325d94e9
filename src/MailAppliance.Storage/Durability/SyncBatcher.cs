namespace MailAppliance.Storage.Durability;

/// <summary>
/// Group commit for one flush operation (a directory fsync, a file system's syncfs): every caller needs "what I did
/// before calling is durable", and one flush that starts after those changes covers them all. Callers that arrive
/// while a flush runs share the next one, so under load many callers share one flush, and none is told "durable"
/// before a flush that began after its call has finished.
/// </summary>
/// <remarks>
/// The flush blocks a thread for a disk flush (milliseconds on a busy disk). It runs on a thread of its own, started
/// on first use and kept, rather than on the thread pool: a pool thread stuck in fsync is one fewer to answer
/// sockets, and on a small machine the pool has only a couple. Waiting uses a monitor, which blocks without the
/// sched_yield spinning of SemaphoreSlim.
/// </remarks>
public sealed class SyncBatcher
{
    private readonly Action _flush;
    private readonly string _threadName;
    private readonly object _gate = new();
    private TaskCompletionSource? _next;
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
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_next is null)
            {
                _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Monitor.Pulse(_gate);
            }

            waiter = _next;
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = _threadName };
                _thread.Start();
            }
        }

        return waiter.Task;
    }

    private void Run()
    {
        while (true)
        {
            TaskCompletionSource batch;
            lock (_gate)
            {
                while (_next is null)
                {
                    Monitor.Wait(_gate);
                }

                batch = _next;
                _next = null; // later callers wait for the next round
            }

            try
            {
                _flush();
                Interlocked.Increment(ref _flushes);
                batch.SetResult();
            }
            catch (Exception e)
            {
                batch.SetException(e);
            }
        }
    }
}
