using System.Runtime.InteropServices;

namespace MailAppliance.Storage.Durability;

/// <summary>
/// Durability primitives. A rename (tmp/ → new/, temp file → dovecot-uidlist) is only durable once the directory
/// holding the new entry is fsync'd; .NET cannot open a directory, so on Unix this calls libc's
/// <c>open(O_RDONLY|O_DIRECTORY)</c> and <c>fsync</c> directly. Errors are raised as <see cref="IOException"/>
/// with errno; they are never swallowed, because a lost fsync means a delivery that may vanish on power loss.
/// </summary>
public static class FileSystemSync
{
    private const int EINTR = 4;
    private const int ORdOnly = 0;

    // O_CLOEXEC is 02000000 on every Linux architecture; O_DIRECTORY differs (0200000 on x86, 040000 on ARM).
    private const int LinuxOCloExec = 0x80000;

    /// <summary>Flushes a file's data and metadata to the disk (fsync).</summary>
    public static void FsyncFile(FileStream stream) => stream.Flush(flushToDisk: true);

    /// <summary>
    /// fsyncs a directory so entries created, renamed or removed in it survive a crash. On Windows this is a no-op:
    /// NTFS journals metadata and Windows offers no directory fsync.
    /// </summary>
    public static void FsyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = OpenDirectory(directory, "for fsync ");
        try
        {
            if (Fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fsync('{directory}') failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
            }
        }
        finally
        {
            CloseDescriptor(fd);
        }
    }

    /// <summary>A read-only descriptor of a directory (O_DIRECTORY, O_CLOEXEC); close it with <see cref="CloseDescriptor"/>.</summary>
    internal static int OpenDirectory(string directory, string purpose = "")
    {
        // A NUL-terminated UTF-8 byte array rather than a string keeps the P/Invoke free of string marshalling.
        var path = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
        int fd;
        int errno;
        do
        {
            fd = Open(path, OpenDirectoryFlags());
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (fd < 0 && errno == EINTR);

        if (fd < 0)
        {
            throw new IOException($"open('{directory}') {purpose}failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }

        return fd;
    }

    internal static void CloseDescriptor(int fd) => _ = Close(fd);

    private static int OpenDirectoryFlags()
    {
        if (!OperatingSystem.IsLinux())
        {
            return ORdOnly;
        }

        var directory = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 => 0x10000,
            Architecture.Arm64 or Architecture.Arm => 0x4000,
            _ => 0,
        };
        return ORdOnly | LinuxOCloExec | directory;
    }

    // DllImport rather than LibraryImport: the generated marshalling code would need AllowUnsafeBlocks.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open(byte[] nulTerminatedUtf8Path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
