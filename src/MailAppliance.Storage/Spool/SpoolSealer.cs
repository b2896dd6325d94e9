using MailAppliance.Storage.Durability;
using System.Runtime.InteropServices;
using MailAppliance.Storage.Maildir;
using Microsoft.Win32.SafeHandles;

namespace MailAppliance.Storage.Spool;

/// <summary>
/// Group commit for spool files: makes a written spool file durable (fdatasync), renames it from <c>spool/tmp</c>
/// into <c>spool/</c>, and waits for a directory fsync that began after the rename (shared by every file renamed
/// meanwhile, <see cref="DirectorySyncBatcher"/>). Only then may the server answer 250.
/// </summary>
/// <remarks>
/// A flush to disk costs a journal commit and a disk cache flush, milliseconds on a busy disk, yet concurrent
/// flushes on one file system share them: ext4 and XFS commit every file's metadata that is waiting in one journal
/// transaction. So the files of many sessions are flushed at once, each by one of a fixed set of threads of our
/// own (blocking threads, off the thread pool, which then keeps answering sockets), and their renames share one
/// directory fsync. Durability is unchanged: no caller is told "sealed" before its own data, its rename and the
/// directory are on disk.
/// </remarks>
public sealed class SpoolSealer
{
    // A plain monitor, not a BlockingCollection: its semaphore spins (sched_yield) before it blocks, and sixteen idle
    // threads spinning on every hand-off cost a tenth of both cores at a thousand messages a second.
    private readonly Queue<Request> _pending = new();
    private readonly object _gate = new();
    private readonly DirectorySyncBatcher _directory;
    private readonly string _directoryPath;
    private readonly int _threads;
    private int _started;

    // With a barrier (SyncMode.SyncFs) no file or directory is fsync'd on its own: one syncfs makes the bytes of
    // every file waiting durable, another one their renames.
    private readonly IFileSystemBarrier? _barrier;

    /// <param name="directory">The directory the files are renamed into.</param>
    /// <param name="threads">How many files may be flushed at once.</param>
    /// <param name="mode">How durability is reached.</param>
    /// <param name="barrier">The process's barrier for <see cref="SyncMode.SyncFs"/>; null: one of its own.</param>
    public SpoolSealer(string directory, int threads = 16, SyncMode mode = SyncMode.Auto, IFileSystemBarrier? barrier = null)
    {
        _directory = new DirectorySyncBatcher(directory);
        _directoryPath = directory;
        _threads = threads;
        _barrier = FileSystemBarrier.For(mode, barrier);
    }

    /// <summary>Whether the spool's changes are made durable by the shared file system barrier.</summary>
    public bool UsesBarrier => _barrier is not null;

    /// <summary>The directory's own group commit, for unlinks that must be durable too.</summary>
    public DirectorySyncBatcher Directory => _directory;

    /// <summary>
    /// Flushes <paramref name="file"/> to disk (the caller has written it and flushed it to the kernel, and leaves it
    /// open and alone until this completes), renames <paramref name="tmpPath"/> to <paramref name="finalPath"/> (which
    /// must not exist) and fsyncs the directory.
    /// Throws <see cref="IOException"/> if any step fails; if the flush fails, the file is not renamed.
    /// </summary>
    public async Task SealAsync(FileStream file, string tmpPath, string finalPath)
    {
        if (_barrier is not null)
        {
            // One flush for the bytes and the rename together (it was two, one after the other: half of the wait
            // for a 250 at one connection). A power loss may then keep the rename without all of the bytes: such a
            // file was never acknowledged (no 250 before this flush) and is never taken for a message, because a
            // spool file of format 2 ends with a footer giving its trailer's length and magic, and a file without
            // them whole is unreadable (SpoolFormat.ReadTrailer; recovery leaves it, delivery never sees it). The
            // footer is written last, in the same file: with ext4's ordered data (its default) or XFS, a size that
            // reached the disk has its data on the disk too.
            File.Move(tmpPath, finalPath, overwrite: false);
            await _barrier.SyncAsync(_directoryPath);
            return;
        }

        StartThreads();
        var request = new Request(file, tmpPath, finalPath);
        lock (_gate)
        {
            _pending.Enqueue(request);
            Monitor.Pulse(_gate);
        }

        await request.Done.Task;
        await _directory.SyncAsync();
    }

    private void StartThreads()
    {
        if (Volatile.Read(ref _started) != 0 || Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        for (var i = 0; i < _threads; i++)
        {
            new Thread(Run) { IsBackground = true, Name = $"spool-seal-{i}" }.Start();
        }
    }

    private void Run()
    {
        while (true)
        {
            Request request;
            lock (_gate)
            {
                while (_pending.Count == 0)
                {
                    Monitor.Wait(_gate);
                }

                request = _pending.Dequeue();
            }

            try
            {
                FlushData(request.File);
                File.Move(request.TmpPath, request.FinalPath, overwrite: false);
                request.Done.SetResult();
            }
            catch (Exception e)
            {
                request.Done.SetException(e);
            }
        }
    }

    /// <summary>
    /// fdatasync: the file's data and what is needed to read it back (size, blocks), without the timestamps a full
    /// fsync would also write. Enough for a new file; elsewhere (no fdatasync) a full flush.
    /// </summary>
    private static void FlushData(FileStream file)
    {
        if (!OperatingSystem.IsLinux())
        {
            file.Flush(flushToDisk: true);
            return;
        }

        const int EINTR = 4;
        while (FdataSync(file.SafeFileHandle) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                throw new IOException($"fdatasync failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
            }
        }
    }

    // DllImport rather than LibraryImport: the generated marshalling code would need AllowUnsafeBlocks.
    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int FdataSync(SafeFileHandle fd);

    private sealed record Request(FileStream File, string TmpPath, string FinalPath)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
