namespace MailAppliance.Storage.Maildir;

/// <summary>Timing of <see cref="DotLock"/>.</summary>
public sealed record DotLockOptions
{
    /// <summary>Dovecot's default stale timeout for dovecot-uidlist.lock (MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT, 2 minutes).</summary>
    public static readonly TimeSpan DovecotStaleTimeout = TimeSpan.FromMinutes(2);

    /// <summary>How long <see cref="DotLock.AcquireAsync"/> waits before giving up.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A lock whose file and whose protected file have both been unchanged this long is stale and may be taken over
    /// (Dovecot's rule). Holders of long operations call <see cref="DotLock.Touch"/> to stay fresh.
    /// </summary>
    public TimeSpan StaleTimeout { get; init; } = DovecotStaleTimeout;

    /// <summary>
    /// A lock file with no <c>pid:host</c> in it (created, then a crash or power loss before its content reached the
    /// disk) is stale once it is this old: a live holder writes its content right after creating the file.
    /// </summary>
    public TimeSpan IncompleteTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause between attempts while the lock is held by someone else.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The host name written into the lock (<c>pid:host</c>) and used to recognise our own host's locks.</summary>
    public string HostName { get; init; } = Environment.MachineName;
}
