using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace MailAppliance.Storage.Durability;

/// <summary>How writes are made durable (<c>Storage:SyncMode</c>).</summary>
public enum SyncMode
{
    /// <summary><see cref="SyncFs"/> where the system has it (Linux), else <see cref="Fsync"/>.</summary>
    Auto,

    /// <summary>One <c>syncfs</c> per file system, shared by every writer waiting at that moment (group commit).</summary>
    SyncFs,

    /// <summary>An <c>fsync</c> (or <c>fdatasync</c>) of each file and each changed directory.</summary>
    Fsync,
}

/// <summary>
/// Group commit across files: <see cref="SyncAsync(string)"/> completes once a <c>syncfs</c> of the directory's
/// file system, begun after the call, has finished, so every write, create, rename and unlink on that file system
/// made before the call is on disk. Concurrent callers share one <c>syncfs</c>, which is one disk cache flush for
/// all of them, where fsyncing each file and directory costs a flush each (on a file system without a journal, or a
/// virtual disk, every flush is a round trip to the device).
/// </summary>
/// <remarks>
/// <c>syncfs</c> reports write-back errors of the file system since the last call (Linux 5.8 and later), and an
/// error fails every caller of that round, as a failed fsync would. It also writes back what other programs left
/// dirty on the same file system, which is why <see cref="SyncMode.Fsync"/> remains for a data directory on a file
/// system shared with heavy writers. The host makes one barrier for the process and gives it to the spool and the mail
/// store, so they share flushes when they share a file system.
/// </remarks>
public sealed class FileSystemBarrier : IFileSystemBarrier
{
    private const int MaxCachedDirectories = 65_536;

    private readonly ConcurrentDictionary<string, ulong> _devices = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ulong, SyncBatcher> _batchers = new();
    private readonly Lock _create = new();

    /// <summary>Whether <c>syncfs</c> can be used here: Linux, 64-bit x86 or ARM (where <c>st_dev</c> leads <c>struct stat</c>).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>
    /// The barrier to use for <paramref name="mode"/>: <paramref name="shared"/> (the process's one, so every writer
    /// shares its flushes) or a new one; null when each file is fsync'd on its own.
    /// </summary>
    public static IFileSystemBarrier? For(SyncMode mode, IFileSystemBarrier? shared = null) => Resolve(mode) == SyncMode.SyncFs ? shared ?? new FileSystemBarrier() : null;

    /// <summary><see cref="SyncMode.Auto"/> made concrete for this system.</summary>
    public static SyncMode Resolve(SyncMode mode) => mode switch
    {
        SyncMode.Auto => IsSupported ? SyncMode.SyncFs : SyncMode.Fsync,
        SyncMode.SyncFs when !IsSupported => throw new PlatformNotSupportedException("syncfs needs Linux on x64 or arm64"),
        _ => mode,
    };

    /// <summary>How many <c>syncfs</c> calls ran, over every file system (for tests and benchmarks).</summary>
    public long Flushes => _batchers.Values.Sum(b => b.Flushes);

    /// <summary>Completes once everything done on <paramref name="directory"/>'s file system before the call is durable.</summary>
    public Task SyncAsync(string directory) => BatcherFor(directory).SyncAsync();

    /// <summary>The same for several directories: one shared flush per file system among them.</summary>
    public Task SyncAsync(IEnumerable<string> directories)
    {
        var batchers = directories.Select(BatcherFor).Distinct().ToList();
        return batchers.Count == 1 ? batchers[0].SyncAsync() : Task.WhenAll(batchers.Select(b => b.SyncAsync()));
    }

    private SyncBatcher BatcherFor(string directory)
    {
        if (!_devices.TryGetValue(directory, out var device))
        {
            device = DeviceOf(directory);
            if (_devices.Count >= MaxCachedDirectories)
            {
                _devices.Clear();
            }

            _devices[directory] = device;
        }

        if (_batchers.TryGetValue(device, out var batcher))
        {
            return batcher;
        }

        lock (_create)
        {
            if (!_batchers.TryGetValue(device, out batcher))
            {
                // The descriptor stays open for the life of the process: syncfs needs any file on the file system,
                // and an open directory keeps working even if the directory is removed later.
                var fd = FileSystemSync.OpenDirectory(directory);
                batcher = new SyncBatcher(() => SyncFs(fd, directory), $"syncfs-{device:x}");
                _batchers[device] = batcher;
            }

            return batcher;
        }
    }

    private static ulong DeviceOf(string directory)
    {
        var fd = FileSystemSync.OpenDirectory(directory);
        try
        {
            var stat = new byte[256]; // struct stat is 144 bytes on x86-64 and 128 on arm64; st_dev comes first
            if (FStat(fd, stat) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fstat('{directory}') failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
            }

            return BitConverter.ToUInt64(stat, 0);
        }
        finally
        {
            FileSystemSync.CloseDescriptor(fd);
        }
    }

    private static void SyncFs(int fd, string directory)
    {
        if (SyncFsCall(fd) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"syncfs('{directory}') failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    // DllImport rather than LibraryImport: the generated marshalling code would need AllowUnsafeBlocks.
    [DllImport("libc", EntryPoint = "fstat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int FStat(int fd, byte[] stat);

    [DllImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SyncFsCall(int fd);
}
