namespace MailAppliance.Storage.Durability;

/// <summary>
/// The one way Storage waits for durability in <see cref="SyncMode.SyncFs"/> mode: a call completes once everything
/// done on the directory's file system before the call is on disk. Injected (one per process, shared by the spool and
/// the mail store so they share flushes), so tests can put a barrier in its place that fails or "loses" what it was
/// not asked to make durable, and show that nothing is acknowledged before it is.
/// </summary>
public interface IFileSystemBarrier
{
    /// <summary>Completes once everything done on <paramref name="directory"/>'s file system before the call is durable.</summary>
    Task SyncAsync(string directory);

    /// <summary>The same for several directories: one shared flush per file system among them.</summary>
    Task SyncAsync(IEnumerable<string> directories);
}
