using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MailAppliance.Database;

/// <summary>The few POSIX calls .NET does not expose: advisory file locks, user lookup and chown.</summary>
internal static partial class UnixInterop
{
    private const int LockShared = 1;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int LockUnlock = 8;

    public static bool TryLockShared(SafeFileHandle handle) => Flock(handle, LockShared | LockNonBlocking) == 0;

    public static bool TryLockExclusive(SafeFileHandle handle) => Flock(handle, LockExclusive | LockNonBlocking) == 0;

    public static void Unlock(SafeFileHandle handle) => _ = Flock(handle, LockUnlock);

    /// <summary>The uid and gid of an OS user, or null when there is no such user.</summary>
    public static (int Uid, int Gid)? LookupUser(string name)
    {
        var entry = GetPasswordEntry(name);
        if (entry == IntPtr.Zero)
        {
            return null;
        }

        // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... } on 64-bit glibc.
        var offset = 2 * IntPtr.Size;
        return (Marshal.ReadInt32(entry, offset), Marshal.ReadInt32(entry, offset + 4));
    }

    public static void ChangeOwner(string path, int uid, int gid)
    {
        if (Chown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {path} failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>The owner uid of a file or directory, via stat(1)-free lstat: .NET exposes no owner.</summary>
    public static int OwnerOf(string path)
    {
        var buffer = new byte[256];
        if (Stat(path, buffer) != 0)
        {
            throw new IOException($"stat {path} failed (errno {Marshal.GetLastPInvokeError()})");
        }

        // struct stat on x86_64 and aarch64 Linux: st_uid is at offset 28 (x86_64) / 24 (aarch64).
        var uidOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 28 : 24;
        return BitConverter.ToInt32(buffer, uidOffset);
    }

    private static int Flock(SafeFileHandle handle, int operation)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return FlockNative((int)handle.DangerousGetHandle(), operation);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockNative(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetPasswordEntry(string name);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, int owner, int group);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, [Out] byte[] buffer);
}
