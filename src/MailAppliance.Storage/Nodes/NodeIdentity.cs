using MailAppliance.Storage.Durability;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace MailAppliance.Storage.Nodes;

/// <summary>
/// This process as one node of the appliance. Several processes (or machines) may share one database and one data
/// directory; each names what it owns (queue claims, POP3 maildrop locks, scratch files) with its node id, and holds an
/// exclusive <c>flock</c> on its marker <c>&lt;DataDirectory&gt;/nodes/&lt;id&gt;</c> for as long as it lives. The kernel drops
/// that lock when the process dies, however it dies, so any node can tell a live peer's work (leave it alone) from a
/// dead one's (take it over now, without waiting for a lease to run out). Markers live outside every <c>tmp/</c>.
/// </summary>
public sealed class NodeIdentity : IDisposable
{
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private readonly SafeFileHandle _marker;

    private NodeIdentity(string dataDirectory, string id, string markerPath, SafeFileHandle marker)
    {
        DataDirectory = dataDirectory;
        Id = id;
        MarkerPath = markerPath;
        _marker = marker;
    }

    /// <summary>Letters, digits and '-' only (it goes into file names and SQL text values): host-pid-random.</summary>
    public string Id { get; }

    public string MarkerPath { get; }

    /// <summary>The data directory this node shares with its peers.</summary>
    public string DataDirectory { get; }

    /// <summary>Whether the node <paramref name="nodeId"/> (this one included) is alive.</summary>
    public bool IsPeerAlive(string nodeId) => nodeId == Id || IsAlive(DataDirectory, nodeId);

    /// <summary>The directory of node markers under a data directory.</summary>
    public static string MarkerDirectory(string dataDirectory) => Path.Combine(dataDirectory, "nodes");

    /// <summary>Registers this process as a node: a new id and its marker, locked until <see cref="Dispose"/> or death.</summary>
    public static NodeIdentity Register(string dataDirectory)
    {
        var directory = MarkerDirectory(dataDirectory);
        Directory.CreateDirectory(directory);
        var host = new string(Environment.MachineName.Where(char.IsAsciiLetterOrDigit).Take(24).ToArray());
        var id = $"{(host.Length == 0 ? "node" : host)}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        var path = Path.Combine(directory, id);
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        if (Flock(handle, LockExclusive | LockNonBlocking) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"cannot lock the node marker {path} (errno {errno})", errno);
        }

        return new NodeIdentity(dataDirectory, id, path, handle);
    }

    /// <summary>
    /// True while the node's process lives (its marker is locked). A node whose marker is gone, or can be locked, is
    /// dead; its marker is removed on the way.
    /// </summary>
    public static bool IsAlive(string dataDirectory, string nodeId)
    {
        if (nodeId.Length == 0 || nodeId.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-'))
        {
            return false;
        }

        var path = Path.Combine(MarkerDirectory(dataDirectory), nodeId);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            // .NET takes a shared flock on open, and the owner's exclusive lock refuses it: the owner lives.
            return true;
        }

        using (handle)
        {
            if (Flock(handle, LockExclusive | LockNonBlocking) != 0)
            {
                // EWOULDBLOCK: its owner holds it. Any other error: do not declare a peer dead on a doubt.
                return true;
            }

            TryDelete(path);
            return false;
        }
    }

    /// <summary>Every node whose marker is present and no longer locked (removing those markers).</summary>
    public static IReadOnlyList<string> DeadNodes(string dataDirectory)
    {
        var directory = MarkerDirectory(dataDirectory);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>().Where(id => !IsAlive(dataDirectory, id)).ToList();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    public void Dispose()
    {
        TryDelete(MarkerPath);
        _marker.Dispose();
    }

    // DllImport rather than LibraryImport, as in FileSystemSync: no unsafe code in Storage.
    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Flock(SafeFileHandle fd, int operation);

}
