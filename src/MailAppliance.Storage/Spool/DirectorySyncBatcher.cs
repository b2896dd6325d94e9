using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Spool;

/// <summary>
/// Group commit for directory fsyncs: every caller needs "my rename is durable", and one fsync of the directory
/// made after a rename covers every rename before it. Callers that arrive while an fsync runs share the next one,
/// so under load many messages share one directory fsync, and none is told "durable" before an fsync that began
/// after its rename has finished.
/// </summary>
public sealed class DirectorySyncBatcher
{
    private readonly string _directory;
    private readonly Lock _gate = new();
    private TaskCompletionSource? _next;
    private bool _running;

    public DirectorySyncBatcher(string directory) => _directory = directory;

    /// <summary>Completes once an fsync of the directory that started after this call has finished.</summary>
    public Task SyncAsync()
    {
        TaskCompletionSource waiter;
        var start = false;
        lock (_gate)
        {
            _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiter = _next;
            if (!_running)
            {
                _running = true;
                start = true;
            }
        }

        if (start)
        {
            _ = Task.Run(RunAsync);
        }

        return waiter.Task;
    }

    private void RunAsync()
    {
        while (true)
        {
            TaskCompletionSource batch;
            lock (_gate)
            {
                if (_next is null)
                {
                    _running = false;
                    return;
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
