using System.Text;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// Reading and writing a folder's <c>dovecot-uidlist</c>. Reads take no lock: the file is only ever replaced by
/// rename or grown by appending whole lines. Writes require the <see cref="UidListLock"/> of the folder, as Dovecot
/// changes the file only while holding <c>dovecot-uidlist.lock</c>.
/// </summary>
public static class UidListFile
{
    public const string FileName = "dovecot-uidlist";

    public static string PathIn(string folderPath) => Path.Combine(folderPath, FileName);

    /// <summary>The folder's uidlist; NotFound when there is none, InvalidFormat when it is corrupt.</summary>
    public static MaildirResult<UidList> Read(string folderPath)
    {
        var text = AtomicFile.ReadAllTextOrNull(PathIn(folderPath));
        return text is null
            ? MaildirResult<UidList>.Fail(MaildirFailureKind.NotFound, $"no {FileName} in '{folderPath}'")
            : UidList.Parse(text);
    }

    /// <summary>Replaces the file atomically (temp file, fsync, rename, directory fsync) with <paramref name="list"/> in version 3.</summary>
    public static Task WriteAsync(UidListLock heldLock, UidList list, CancellationToken cancellationToken)
    {
        heldLock.EnsureHeld();
        return AtomicFile.ReplaceAsync(PathIn(heldLock.FolderPath), list.Format(), cancellationToken);
    }

    /// <summary>
    /// Appends records under the lock without reading the whole file (deliveries: O(batch), not O(mailbox)). Only
    /// the tail is read, for the last UID and the final line feed; when every new UID is above that last one the
    /// lines are appended and fsync'd, as Dovecot does. Otherwise (UIDs committed out of order by another process,
    /// a torn last line) this falls back to <see cref="AddAsync"/>, which parses and rewrites the file in UID order.
    /// Returns whether the fast path was taken; a failure as <see cref="AddAsync"/> gives it.
    /// </summary>
    public static Task<MaildirResult<bool>> AppendAsync(
        UidListLock heldLock, IReadOnlyCollection<UidListRecord> records, CancellationToken cancellationToken) =>
        AppendAsync(heldLock, records, flush: true, cancellationToken);

    /// <summary>
    /// <see cref="AppendAsync(UidListLock, IReadOnlyCollection{UidListRecord}, CancellationToken)"/>; with
    /// <paramref name="flush"/> false an append is not fsync'd, and the caller makes it durable (a file system
    /// barrier shared by many folders). A rewrite (the fallback) is always durable on its own.
    /// </summary>
    public static async Task<MaildirResult<bool>> AppendAsync(
        UidListLock heldLock, IReadOnlyCollection<UidListRecord> records, bool flush, CancellationToken cancellationToken)
    {
        heldLock.EnsureHeld();
        if (records.Count == 0)
        {
            return MaildirResult<bool>.Ok(true);
        }

        var path = PathIn(heldLock.FolderPath);
        var tail = ReadTail(path);
        var ordered = records.OrderBy(r => r.Uid).ToArray();
        if (tail is { EndsWithLineFeed: true } && ordered[0].Uid > tail.Value.LastUid)
        {
            var lines = new StringBuilder();
            foreach (var record in ordered)
            {
                lines.Append(record.Format()).Append('\n');
            }

            await AtomicFile.AppendAsync(path, lines.ToString(), flush, cancellationToken);
            return MaildirResult<bool>.Ok(true);
        }

        var added = await AddAsync(heldLock, records, cancellationToken);
        return added.Succeeded ? MaildirResult<bool>.Ok(false) : MaildirResult<bool>.Fail(added.Failure!.Kind, added.Failure.Reason);
    }

    /// <summary>
    /// The UID of the file's last record (0 with only the header) and whether the file ends with a line feed; null
    /// when there is no file or the last line is not a record. Reads at most the last 4 KiB.
    /// </summary>
    private static (uint LastUid, bool EndsWithLineFeed)? ReadTail(string path)
    {
        const int Window = 4096;
        byte[] bytes;
        long start;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            start = Math.Max(0, file.Length - Window);
            file.Seek(start, SeekOrigin.Begin);
            bytes = new byte[file.Length - start];
            file.ReadExactly(bytes);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(bytes);
        var endsWithLineFeed = text.EndsWith('\n');
        var lines = text.TrimEnd('\n').Split('\n');
        // The first line of a window that starts at 0 is the header; one that starts later may be cut.
        var firstRecordLine = 1;
        if (lines.Length <= firstRecordLine)
        {
            return start == 0 && lines[0].StartsWith("3 ", StringComparison.Ordinal) ? (0u, endsWithLineFeed) : null;
        }

        var last = lines[^1];
        var space = last.IndexOf(' ');
        return space > 0 && uint.TryParse(last.AsSpan(0, space), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var uid)
            ? (uid, endsWithLineFeed)
            : null;
    }

    /// <summary>
    /// Adds records to the existing file under the lock and returns the new content. When every new UID is above the
    /// last one and the file ends with a complete line, the lines are appended and fsync'd (as Dovecot does, leaving
    /// the header's N behind); otherwise (UIDs committed out of order by concurrent deliveries, or a torn last line)
    /// the file is rewritten atomically in UID order. NotFound without a file; Conflict for a UID or name already
    /// present; InvalidFormat for a corrupt file (the caller rebuilds it with <see cref="WriteAsync"/>).
    /// </summary>
    public static async Task<MaildirResult<UidList>> AddAsync(
        UidListLock heldLock, IReadOnlyCollection<UidListRecord> records, CancellationToken cancellationToken)
    {
        heldLock.EnsureHeld();
        var path = PathIn(heldLock.FolderPath);
        var text = AtomicFile.ReadAllTextOrNull(path);
        if (text is null)
        {
            return MaildirResult<UidList>.Fail(MaildirFailureKind.NotFound, $"no {FileName} in '{heldLock.FolderPath}'");
        }

        var current = UidList.Parse(text);
        if (!current.Succeeded)
        {
            return current;
        }

        var merged = current.Value.WithRecords(records);
        if (!merged.Succeeded || records.Count == 0)
        {
            return merged;
        }

        var lastUid = current.Value.Records.Count == 0 ? 0 : current.Value.Records[^1].Uid;
        var ordered = records.OrderBy(r => r.Uid).ToArray();
        if (text.EndsWith('\n') && ordered[0].Uid > lastUid)
        {
            var lines = new StringBuilder();
            foreach (var record in ordered)
            {
                lines.Append(record.Format()).Append('\n');
            }

            await AtomicFile.AppendAsync(path, lines.ToString(), cancellationToken);
        }
        else
        {
            await AtomicFile.ReplaceAsync(path, merged.Value.Format(), cancellationToken);
        }

        return merged;
    }
}
