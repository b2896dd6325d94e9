namespace MailAppliance.Storage.Maildir;

/// <summary>
/// The lock Dovecot takes before changing a folder's dovecot-uidlist: the dot-lock file
/// <c>dovecot-uidlist.lock</c> (see <see cref="DotLock"/>; stale after 2 minutes by default, as in Dovecot).
/// Holding one is the proof <see cref="UidListFile"/> asks for before it appends or rewrites.
/// </summary>
public sealed class UidListLock : IDisposable
{
    private readonly DotLock _lock;

    private UidListLock(string folderPath, DotLock dotLock)
    {
        FolderPath = folderPath;
        _lock = dotLock;
    }

    /// <summary>The folder directory (INBOX root or <c>.Name</c>) whose dovecot-uidlist is locked.</summary>
    public string FolderPath { get; }

    public string LockPath => _lock.LockPath;

    /// <summary>True until disposed or taken over as stale.</summary>
    public bool IsHeld => _lock.IsHeld;

    public static UidListLock? TryAcquire(string folderPath, DotLockOptions options, TimeProvider time)
    {
        var dotLock = DotLock.TryAcquire(UidListFile.PathIn(folderPath), options, time);
        return dotLock is null ? null : new UidListLock(Path.GetFullPath(folderPath), dotLock);
    }

    /// <summary>Waits for the lock (up to <see cref="DotLockOptions.Timeout"/>, then <see cref="TimeoutException"/>).</summary>
    public static async Task<UidListLock> AcquireAsync(string folderPath, DotLockOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var dotLock = await DotLock.AcquireAsync(UidListFile.PathIn(folderPath), options, time, cancellationToken);
        return new UidListLock(Path.GetFullPath(folderPath), dotLock);
    }

    /// <summary>Keeps the lock fresh during a long operation.</summary>
    public void Touch() => _lock.Touch();

    /// <summary>Throws when the lock was released or taken over as stale: a write must not go ahead then.</summary>
    internal void EnsureHeld() => _lock.EnsureHeld();

    public void Dispose() => _lock.Dispose();
}
