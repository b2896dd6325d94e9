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
