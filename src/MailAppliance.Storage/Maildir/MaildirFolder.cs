using MailAppliance.Storage.Durability;
namespace MailAppliance.Storage.Maildir;

/// <summary>
/// One Maildir folder directory (the INBOX root or a <c>.Name</c> folder) at file level: its <c>cur/ new/ tmp/</c>,
/// message scanning, transactional delivery, flag renames, expunge and <c>tmp/</c> recovery. No database, no cache:
/// every call looks at the file system (readers take no locks, DESIGN.md).
/// </summary>
public sealed class MaildirFolder
{
    public const string CurDirectory = "cur";
    public const string NewDirectory = "new";
    public const string TmpDirectory = "tmp";

    /// <summary>The empty file Maildir++ puts in every subfolder (not in the root), so delivery agents and quota tools know it is one.</summary>
    public const string SubfolderMarkerFile = "maildirfolder";

    // Dovecot creates mail directories 0700 and files 0600 (for a private, single-user tree).
    internal const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public MaildirFolder(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    public string CurPath => System.IO.Path.Combine(Path, CurDirectory);

    public string NewPath => System.IO.Path.Combine(Path, NewDirectory);

    public string TmpPath => System.IO.Path.Combine(Path, TmpDirectory);

    /// <summary>True when <c>cur/</c>, <c>new/</c> and <c>tmp/</c> all exist (a selectable folder).</summary>
    public bool Exists => Directory.Exists(CurPath) && Directory.Exists(NewPath) && Directory.Exists(TmpPath);

    /// <summary>
    /// Creates the folder directory (if needed) with <c>tmp/ new/ cur/</c> and, for a subfolder, the empty
    /// <c>maildirfolder</c> file; missing pieces of a half-created folder are completed. The folder and the parents
    /// of every directory created here are fsync'd so the folder survives a crash.
    /// </summary>
    public static MaildirFolder Create(string path, bool isSubfolder)
    {
        var folder = new MaildirFolder(path);

        // Directories created now (the folder, and for a new user the user and domain directories) must reach the
        // disk too: each new entry is durable once its parent directory is fsync'd.
        var created = new List<string>();
        for (var directory = folder.Path; directory is not null && !Directory.Exists(directory); directory = System.IO.Path.GetDirectoryName(directory))
        {
            created.Add(directory);
        }

        CreateDirectory(folder.Path);
        foreach (var sub in new[] { folder.TmpPath, folder.NewPath, folder.CurPath })
        {
            CreateDirectory(sub);
        }

        if (isSubfolder)
        {
            var marker = System.IO.Path.Combine(folder.Path, SubfolderMarkerFile);
            if (!File.Exists(marker))
            {
                try
                {
                    using var stream = new FileStream(marker, AtomicFile.CreateOptions());
                }
                catch (IOException exception) when (IoErrors.IsAlreadyExists(exception))
                {
                    // Created concurrently: fine.
                }
            }
        }

        FileSystemSync.FsyncDirectory(folder.Path);
        foreach (var directory in created)
        {
            if (System.IO.Path.GetDirectoryName(directory) is { } parent)
            {
                FileSystemSync.FsyncDirectory(parent);
            }
        }

        return folder;
    }

    /// <summary>
    /// The messages in <c>new/</c> and <c>cur/</c>. <c>new/</c> is read first, so a message moved to <c>cur/</c>
    /// during the scan is seen (possibly twice, then the <c>cur/</c> entry wins) rather than missed. Dot files and
    /// names that cannot be message names are skipped; files that vanish during the scan are left out.
    /// </summary>
    public IReadOnlyList<MaildirEntry> Scan()
    {
        var byBase = new Dictionary<string, MaildirEntry>(StringComparer.Ordinal);
        foreach (var (directory, isNew) in new[] { (NewPath, true), (CurPath, false) })
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
            {
                var entry = ToEntry(file, isNew);
                if (entry is not null)
                {
                    byBase[entry.BaseName] = entry;
                }
            }
        }

        return [.. byBase.Values.OrderBy(e => e.BaseName, StringComparer.Ordinal)];
    }

    /// <summary>Finds the current file of a message by its base name (its flags or directory may have changed), or null.</summary>
    public MaildirEntry? Find(string baseName)
    {
        foreach (var (directory, isNew) in new[] { (CurPath, false), (NewPath, true) })
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }

            // The plain name (new/), then "<base>:<info>" (cur/).
            var exact = new FileInfo(System.IO.Path.Combine(directory, baseName));
            if (exact.Exists && ToEntry(exact, isNew) is { } plain)
            {
                return plain;
            }

            foreach (var file in new DirectoryInfo(directory).EnumerateFiles(baseName + MaildirFileName.InfoSeparator + "*"))
            {
                if (ToEntry(file, isNew) is { } entry && entry.BaseName == baseName)
                {
                    return entry;
                }
            }
        }

        return null;
    }

    /// <summary>Starts a delivery: a new exclusive file in <c>tmp/</c> named by <paramref name="names"/>.</summary>
    public MaildirDelivery BeginDelivery(MaildirNameGenerator names)
    {
        for (var attempt = 1; ; attempt++)
        {
            var uniquePart = names.NextUniquePart();
            var tmpPath = System.IO.Path.Combine(TmpPath, uniquePart);
            try
            {
                var options = AtomicFile.CreateOptions();
                options.Options = FileOptions.Asynchronous;
                var file = new FileStream(tmpPath, options);
                return new MaildirDelivery(this, names, uniquePart, tmpPath, file);
            }
            catch (IOException exception) when (IoErrors.IsAlreadyExists(exception) && attempt < 8)
            {
                // Another generator handed out the same unique part: take the next one.
            }
        }
    }

    /// <summary>
    /// Renames a message to carry exactly these flags and keyword indexes, in <c>cur/</c> (a message in <c>new/</c>
    /// moves to <c>cur/</c>, as when Dovecot changes flags). If the file was renamed meanwhile (by another process or
    /// Dovecot), it is found again by base name; NotFound when it is gone (expunged). No fsync: Dovecot does not
    /// fsync flag changes either, and a lost rename only loses the flag change.
    /// </summary>
    public MaildirResult<MaildirEntry> SetFlags(MaildirEntry entry, MaildirFlags flags, IEnumerable<int> keywordIndexes)
    {
        var indexes = keywordIndexes.ToArray();
        var current = entry;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var name = current.Name.WithFlags(flags, indexes);
            var target = System.IO.Path.Combine(CurPath, name.FullName);
            if (string.Equals(current.Path, target, StringComparison.Ordinal) && File.Exists(target))
            {
                return MaildirResult<MaildirEntry>.Ok(current);
            }

            try
            {
                File.Move(current.Path, target, overwrite: false);
                return MaildirResult<MaildirEntry>.Ok(current with { Path = target, Name = name, IsNew = false });
            }
            catch (IOException exception) when (exception is FileNotFoundException || IoErrors.IsAlreadyExists(exception))
            {
                var found = Find(current.BaseName);
                if (found is null)
                {
                    return MaildirResult<MaildirEntry>.Fail(MaildirFailureKind.NotFound, $"message '{current.BaseName}' is gone");
                }

                current = found;
            }
        }

        return MaildirResult<MaildirEntry>.Fail(MaildirFailureKind.Conflict, $"message '{entry.BaseName}' keeps being renamed");
    }

    /// <summary>Deletes a message file (expunge), finding it by base name if it was renamed. False when already gone.</summary>
    public bool Remove(MaildirEntry entry)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var path = attempt == 0 ? entry.Path : Find(entry.BaseName)?.Path;
            if (path is null)
            {
                return false;
            }

            if (File.Exists(path))
            {
                File.Delete(path);
                if (!File.Exists(path))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Deletes files in <c>tmp/</c> whose last write and last access are both older than <paramref name="olderThan"/>:
    /// deliveries a crash interrupted (Dovecot does the same with a 36 hour limit). Returns how many were deleted.
    /// </summary>
    public int DeleteStaleTmpFiles(TimeSpan olderThan, TimeProvider time)
    {
        if (!Directory.Exists(TmpPath))
        {
            return 0;
        }

        var limit = time.GetUtcNow().UtcDateTime - olderThan;
        var deleted = 0;
        foreach (var file in new DirectoryInfo(TmpPath).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc < limit && file.LastAccessTimeUtc < limit)
            {
                file.Delete();
                deleted++;
            }
        }

        return deleted;
    }

    internal static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            // Every missing ancestor gets the mode too (mail/<domain>/<user> included), not only the last one:
            // mail is private to the service whatever the umask (the security review found them 0755).
            var missing = new Stack<string>();
            for (var directory = path; !string.IsNullOrEmpty(directory) && !Directory.Exists(directory); directory = System.IO.Path.GetDirectoryName(directory))
            {
                missing.Push(directory);
            }

            foreach (var directory in missing)
            {
                Directory.CreateDirectory(directory, DirectoryMode);
            }
        }
    }

    private static MaildirEntry? ToEntry(FileInfo file, bool isNew)
    {
        var parsed = MaildirFileName.Parse(file.Name);
        if (!parsed.Succeeded)
        {
            return null;
        }

        try
        {
            if (!file.Exists)
            {
                return null;
            }

            var size = parsed.Value.Size ?? file.Length;
            return new MaildirEntry(file.FullName, parsed.Value, isNew, size, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
