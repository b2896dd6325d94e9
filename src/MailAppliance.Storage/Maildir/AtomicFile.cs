using MailAppliance.Storage.Durability;
using System.Security.Cryptography;
using System.Text;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// Replaces a small control file (dovecot-uidlist, dovecot-keywords, subscriptions) atomically: write a temp file
/// next to it, fsync it, rename it over the target, fsync the directory. Readers (which take no locks) see the old
/// or the new content, never a mix. Files are created 0600 like Dovecot's.
/// </summary>
internal static class AtomicFile
{
    internal const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static async Task ReplaceAsync(string path, string content, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path) ?? throw new ArgumentException("path has no directory", nameof(path));
        var temp = $"{path}.{Environment.ProcessId}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp";
        try
        {
            await using (var stream = new FileStream(temp, CreateOptions()))
            {
                var bytes = Encoding.UTF8.GetBytes(content);
                await stream.WriteAsync(bytes, cancellationToken);
                FileSystemSync.FsyncFile(stream);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        FileSystemSync.FsyncDirectory(directory);
    }

    public static Task AppendAsync(string path, string content, CancellationToken cancellationToken) =>
        AppendAsync(path, content, flush: true, cancellationToken);

    /// <summary>Appends to an existing file; fsync'd unless <paramref name="flush"/> is false (the caller syncs).</summary>
    public static async Task AppendAsync(string path, string content, bool flush, CancellationToken cancellationToken)
    {
        // Open, not Append: appending must never create a header-less file if the target vanished.
        var options = new FileStreamOptions { Mode = System.IO.FileMode.Open, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete };
        await using var stream = new FileStream(path, options);
        stream.Seek(0, SeekOrigin.End);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken);
        if (flush)
        {
            FileSystemSync.FsyncFile(stream);
        }
    }

    /// <summary>
    /// O_CREAT|O_EXCL, mode 0600. Shared for reading and deleting: on Unix .NET emulates FileShare.None with an
    /// advisory flock() that makes concurrent readers in this process fail; the maildir protocol relies on
    /// O_EXCL and rename, never on flock.
    /// </summary>
    public static FileStreamOptions CreateOptions()
    {
        var options = new FileStreamOptions
        {
            Mode = System.IO.FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        return options;
    }

    /// <summary>Reads a file as UTF-8, or null when it does not exist.</summary>
    public static string? ReadAllTextOrNull(string path)
    {
        try
        {
            using var stream = new FileStream(path, System.IO.FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }
}
