using MailAppliance.Storage.Durability;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Spool;

/// <summary>
/// Group commit for the fsyncs of one directory: one fsync of the directory made after a rename (or unlink) covers
/// every rename before it, so concurrent callers share it (<see cref="SyncBatcher"/>).
/// </summary>
public sealed class DirectorySyncBatcher
{
    private readonly SyncBatcher _batcher;

    public DirectorySyncBatcher(string directory) => _batcher = new SyncBatcher(() => FileSystemSync.FsyncDirectory(directory), "spool-dirsync");

    /// <summary>Completes once an fsync of the directory that started after this call has finished.</summary>
    public Task SyncAsync() => _batcher.SyncAsync();
}
