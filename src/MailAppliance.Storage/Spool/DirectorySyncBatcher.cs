using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Spool;

/// <summary>
/// Group commit for directory fsyncs: every caller needs "my rename (or unlink) is durable", and one fsync of the
/// directory made after a rename covers every rename before it. Callers that arrive while an fsync runs share the
/// next one, so under load many messages share one directory fsync, and none is told "durable" before an fsync
/// that began after its rename has finished.
/// </summary>
/// <remarks>
/// The fsync blocks a thread for a disk flush (milliseconds on a busy disk). It runs on a thread of its own, started
/// on first use and kept, rather than on the thread pool: a pool thread stuck in fsync is one fewer to answer
/// sockets, and on a small machine the pool has only a couple.
/// </remarks>
public sealed class DirectorySyncBatcher
{
    private readonly string _directory;
    private readonly object _gate = new(); // a monitor: waiting on it does not spin, unlike SemaphoreSlim
    private TaskCompletionSource? _next;
    private Thread? _thread;

    public DirectorySyncBatcher(string directory) => _directory = directory;

    /// <summary>Completes once an fsync of the directory that started after this call has finished.</summary>
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
                _thread = new Thread(Run) { IsBackground = true, Name = "spool-dirsync" };
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
                FileSystemSync.FsyncDirectory(_directory);
                batch.SetResult();
            }
            catch (Exception e)
            {
                batch.SetException(e);
            }
        }
    }
}
