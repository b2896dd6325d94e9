using System.Globalization;
using System.Text;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// A Dovecot-compatible dot-lock: the file <c>&lt;protected file&gt;.lock</c>, created exclusively (O_EXCL), holding
/// <c>&lt;pid&gt;:&lt;host&gt;</c> as Dovecot's file_dotlock writes it. Another holder's lock is overridden when it is
/// stale: its pid is on this host and no longer runs, or the lock file and the protected file have both been
/// unchanged for <see cref="DotLockOptions.StaleTimeout"/>, or it is empty and older than
/// <see cref="DotLockOptions.IncompleteTimeout"/> (left by a power loss between its creation and its content). Dispose releases it (only if it is still ours).
/// The takeover re-reads the lock just before deleting it to narrow the window where a fresh lock could be removed.
/// </summary>
public sealed class DotLock : IDisposable
{
    public const string Suffix = ".lock";

    private readonly TimeProvider _time;
    private DateTime _writtenUtc;
    private bool _released;

    private DotLock(string protectedPath, string lockPath, string content, TimeProvider time)
    {
        ProtectedPath = protectedPath;
        LockPath = lockPath;
        Content = content;
        _time = time;
        _writtenUtc = File.GetLastWriteTimeUtc(lockPath);
    }

    /// <summary>The file this lock protects (e.g. <c>dovecot-uidlist</c>).</summary>
    public string ProtectedPath { get; }

    public string LockPath { get; }

    /// <summary>The lock file content, <c>pid:host</c>.</summary>
    public string Content { get; }

    /// <summary>True until disposed or found to have been taken over.</summary>
    public bool IsHeld =>
        !_released && File.GetLastWriteTimeUtc(LockPath) == _writtenUtc && ReadContent(LockPath) == Content;

    /// <summary>One attempt: the lock, or null when a live holder has it.</summary>
    public static DotLock? TryAcquire(string protectedPath, DotLockOptions options, TimeProvider time)
    {
        var lockPath = protectedPath + Suffix;
        var content = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}:{options.HostName}");

        // Two rounds: the second after removing a stale lock.
        for (var round = 0; round < 2; round++)
        {
            if (TryCreate(lockPath, content))
            {
                return new DotLock(protectedPath, lockPath, content, time);
            }

            if (!TryRemoveStale(protectedPath, lockPath, options, time))
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Waits for the lock up to <see cref="DotLockOptions.Timeout"/>, then throws <see cref="TimeoutException"/>.</summary>
    public static async Task<DotLock> AcquireAsync(string protectedPath, DotLockOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            var acquired = TryAcquire(protectedPath, options, time);
            if (acquired is not null)
            {
                return acquired;
            }

            if (time.GetElapsedTime(started) >= options.Timeout)
            {
                throw new TimeoutException($"could not lock '{protectedPath}' within {options.Timeout} (held by '{ReadContent(protectedPath + Suffix)}')");
            }

            await Task.Delay(options.RetryInterval, time, cancellationToken);
        }
    }

    /// <summary>Refreshes the lock file's mtime so long operations are not taken for stale.</summary>
    public void Touch()
    {
        ObjectDisposedException.ThrowIf(_released, this);
        var now = _time.GetUtcNow().UtcDateTime;
        File.SetLastWriteTimeUtc(LockPath, now);
        _writtenUtc = File.GetLastWriteTimeUtc(LockPath);
    }

    /// <summary>Throws when the lock is no longer ours (released or taken over as stale).</summary>
    public void EnsureHeld()
    {
        if (!IsHeld)
        {
            throw new InvalidOperationException($"the lock '{LockPath}' is no longer held");
        }
    }

    public void Dispose()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        if (File.Exists(LockPath) && File.GetLastWriteTimeUtc(LockPath) == _writtenUtc && ReadContent(LockPath) == Content)
        {
            File.Delete(LockPath);
        }
    }

    private static bool TryCreate(string lockPath, string content)
    {
        try
        {
            using var stream = new FileStream(lockPath, AtomicFile.CreateOptions());
            stream.Write(Encoding.ASCII.GetBytes(content));
            return true;
        }
        catch (IOException exception) when (IoErrors.IsAlreadyExists(exception))
        {
            return false;
        }
    }

    private static bool TryRemoveStale(string protectedPath, string lockPath, DotLockOptions options, TimeProvider time)
    {
        var content = ReadContent(lockPath);
        if (content is null)
        {
            return true; // released meanwhile: try again
        }

        var lockWritten = File.GetLastWriteTimeUtc(lockPath);
        if (!IsStale(content, lockWritten, protectedPath, options, time))
        {
            return false;
        }

        // Re-check right before removing: a holder that just took or touched the lock must keep it.
        if (ReadContent(lockPath) != content || File.GetLastWriteTimeUtc(lockPath) != lockWritten)
        {
            return false;
        }

        File.Delete(lockPath);
        return true;
    }

    private static bool IsStale(string content, DateTime lockWrittenUtc, string protectedPath, DotLockOptions options, TimeProvider time)
    {
        var separator = content.IndexOf(':', StringComparison.Ordinal);
        if (separator > 0
            && int.TryParse(content.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && string.Equals(content[(separator + 1)..].TrimEnd(), options.HostName, StringComparison.Ordinal)
            && OperatingSystem.IsLinux()
            && !Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}")))
        {
            return true; // the holder was on this host and is gone
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (content.Length == 0 && now - lockWrittenUtc >= options.IncompleteTimeout)
        {
            return true; // created but never written: its creator crashed or lost power in between
        }

        if (now - lockWrittenUtc < options.StaleTimeout)
        {
            return false;
        }

        // Dovecot also waits until the protected file itself has been quiet for the stale timeout.
        return !File.Exists(protectedPath) || now - File.GetLastWriteTimeUtc(protectedPath) >= options.StaleTimeout;
    }

    private static string? ReadContent(string lockPath) => AtomicFile.ReadAllTextOrNull(lockPath);
}
