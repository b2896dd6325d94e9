using MailAppliance.Storage.Durability;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Mailstore;

public sealed record MailstoreOptions(string DataDirectory)
{
    /// <summary>Dovecot's dot-locks; retried often, as writers hold them only for an append.</summary>
    public DotLockOptions Locks { get; init; } = new() { RetryInterval = TimeSpan.FromMilliseconds(2) };

    /// <summary>tmp/ files older than this, with no index row, are left-overs of an interrupted delivery.</summary>
    public TimeSpan StaleTmpAge { get; init; } = TimeSpan.FromHours(36);

    /// <summary>At most this much decoded text of a message goes into the full-text index.</summary>
    public int MaxSearchTextBytes { get; init; } = 256 * 1024;

    /// <summary>How deliveries are made durable: one shared syncfs per group (default on Linux) or an fsync per file.</summary>
    public SyncMode SyncMode { get; init; } = SyncMode.Auto;

    /// <summary>The process's barrier for <see cref="SyncMode.SyncFs"/> (shared with the spool); null: one of its own.</summary>
    public IFileSystemBarrier? Barrier { get; init; }

    /// <summary>Mailboxes with at least this many messages keep their SELECT snapshot per process (see LoadSnapshotAsync).</summary>
    public int SnapshotCacheThreshold { get; init; } = 10_000;
}
