using MailAppliance.Storage.Database;
using MailAppliance.Storage.Durability;
using Dapper;
using MailAppliance.Storage.Maildir;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace MailAppliance.Storage.Mailstore;

/// <summary>Progress of a reconstruct: folders and messages done so far.</summary>
public sealed record ReconstructProgress(string Folder, int FoldersDone, int FoldersTotal, int MessagesIndexed);

public sealed record ReconstructReport(int Folders, int Messages, int NewUids, int Parsed);

public sealed partial class MailStore
{
    /// <summary>
    /// Rebuilds the user's index from the maildir tree alone: UIDVALIDITY and UIDs from each folder's
    /// dovecot-uidlist (files it does not list get new UIDs above the highest), flags and keywords from the file
    /// names and dovecot-keywords, INTERNALDATE from the mtime, subscriptions from the subscriptions file.
    /// Deliveries interrupted after their index commit are finished first, keeping the UID they were given.
    /// Runs with the user's exclusive lock: deliveries to this user wait, readers do not.
    /// </summary>
    public async Task<ReconstructReport> ReconstructUserAsync(MailUser user, IProgress<ReconstructProgress>? progress, CancellationToken cancellationToken)
    {
        await using var connection = await _sessionDb.OpenConnectionAsync(cancellationToken);
        StorageDatabase.EnsureResetOnReturn(connection);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = UserLockKey(user.Id) }, cancellationToken: cancellationToken));
        try
        {
            var root = RootOf(user);
            if (!Directory.Exists(root.Path))
            {
                await root.InitializeAsync(_options.Locks, _time, cancellationToken);
            }
            else if (!root.Inbox.Exists)
            {
                MaildirFolder.Create(root.Path, isSubfolder: false);
            }

            var folders = root.ListFolders();
            foreach (var (directory, failure) in folders.Skipped)
            {
                _logger.LogWarning("Reconstruct of {User} skips folder directory {Directory}: {Reason}", user.Address, directory, failure.Reason);
            }

            var total = new ReconstructReport(0, 0, 0, 0);
            var done = 0;
            var mailboxIds = new List<long>();
            foreach (var folder in folders.Folders)
            {
                var report = await ReconstructFolderAsync(connection, user, folder.Name, folder.Folder, cancellationToken);
                mailboxIds.Add(report.MailboxId);
                total = new ReconstructReport(total.Folders + 1, total.Messages + report.Messages, total.NewUids + report.NewUids, total.Parsed + report.Parsed);
                progress?.Report(new ReconstructProgress(folder.Name.Name, ++done, folders.Folders.Count, total.Messages));
            }

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM mailboxes WHERE user_id = @user AND NOT (id = ANY(@ids))", new { user = user.Id, ids = mailboxIds.ToArray() }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM subscriptions WHERE user_id = @user", new { user = user.Id }, transaction, cancellationToken: cancellationToken));
            foreach (var name in SubscriptionsFile.Read(root.Path).Names.Distinct())
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO subscriptions (user_id, name) VALUES (@user, @name) ON CONFLICT DO NOTHING", new { user = user.Id, name = name.Name }, transaction, cancellationToken: cancellationToken));
            }

            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO quota_usage (user_id, bytes, messages)
                SELECT @user, coalesce(sum(m.size), 0), count(m.uid) FROM mailboxes b LEFT JOIN messages m ON m.mailbox_id = b.id WHERE b.user_id = @user
                ON CONFLICT (user_id) DO UPDATE SET bytes = excluded.bytes, messages = excluded.messages
                """, new { user = user.Id }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            _logger.LogInformation("Reconstructed {User}: {Folders} folders, {Messages} messages ({NewUids} new UIDs, {Parsed} parsed)",
                user.Address.ToString(), total.Folders, total.Messages, total.NewUids, total.Parsed);
            return total;
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = UserLockKey(user.Id) }, cancellationToken: CancellationToken.None));
        }
    }

    private async Task<(long MailboxId, int Messages, int NewUids, int Parsed)> ReconstructFolderAsync(
        NpgsqlConnection connection, MailUser user, MailboxName name, MaildirFolder folder, CancellationToken cancellationToken)
    {
        if (!folder.Exists)
        {
            // A copied or restored tree may have lost empty cur/, new/ or tmp/ directories (git, some backups).
            MaildirFolder.Create(folder.Path, isSubfolder: !name.IsInbox);
        }

        using var uidLock = await UidListLock.AcquireAsync(folder.Path, _options.Locks, _time, cancellationToken);

        // Taken before the tree is read: anything that changes it from now on makes the recorded stamp differ.
        var stampBeforeScan = TreeStamp(folder.Path);
        var row = await connection.QuerySingleOrDefaultAsync<(long Id, long UidValidity, long UidNext, long HighestModSeq)?>(new CommandDefinition(
            "SELECT id, uidvalidity, uidnext, highestmodseq FROM mailboxes WHERE user_id = @user AND name = @name",
            new { user = user.Id, name = name.Name }, cancellationToken: cancellationToken));

        // Flags committed by STOREs whose renames had not reached the disk: the files get them first, since what
        // follows takes flags from file names (migration 0021).
        if (row is { } marked)
        {
            var info = new MailboxInfo(marked.Id, user.Id, name, (uint)marked.UidValidity, (uint)marked.UidNext, marked.HighestModSeq, folder.Path);
            for (var round = 0; round < 100; round++)
            {
                var mark = await connection.QuerySingleOrDefaultAsync<(long From, long To)?>(new CommandDefinition(
                    "SELECT from_modseq, to_modseq FROM maildir_flag_sync WHERE mailbox_id = @id", new { id = marked.Id }, cancellationToken: cancellationToken));
                if (mark is not { } m || await ApplyFlagSyncAsync(connection, info, m.From, m.To, waitForRows: true, cancellationToken))
                {
                    break;
                }
            }
        }

        // Deliveries committed in the index but not yet moved into new/: finish them with their UID.
        var pending = row is null ? [] : (await connection.QueryAsync<(long Uid, string BaseName, string FileName)>(new CommandDefinition(
            "SELECT uid, base_name, file_name FROM messages WHERE mailbox_id = @id AND pending", new { id = row.Value.Id }, cancellationToken: cancellationToken))).ToList();
        var pendingRecords = new List<UidListRecord>();
        foreach (var (uid, baseName, fileName) in pending)
        {
            var tmp = Path.Combine(folder.Path, fileName);
            if (fileName.StartsWith(MaildirFolder.TmpDirectory + "/", StringComparison.Ordinal) && File.Exists(tmp))
            {
                File.Move(tmp, Path.Combine(folder.NewPath, baseName), overwrite: false);
                FileSystemSync.FsyncDirectory(folder.NewPath);
            }

            pendingRecords.Add(new UidListRecord((uint)uid, baseName));
        }

        var read = UidListFile.Read(folder.Path);
        var list = read.Succeeded
            ? read.Value
            : UidList.Create(row is { } r ? (uint)r.UidValidity : NewUidValidity());
        if (!read.Succeeded && read.Failure!.Kind != MaildirFailureKind.NotFound)
        {
            _logger.LogWarning("Rebuilding unreadable {File} in {Folder}: {Reason}", UidListFile.FileName, folder.Path, read.Failure.Reason);
        }

        // Files on disk, one entry per base name (a name in both new/ and cur/ is the cur/ one).
        var entries = folder.Scan()
            .GroupBy(e => e.BaseName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.IsNew).First(), StringComparer.Ordinal);
        var kept = list.Records.Where(r => entries.ContainsKey(r.BaseName)).ToList();
        var listedNames = kept.Select(r => r.BaseName).ToHashSet(StringComparer.Ordinal);
        foreach (var record in pendingRecords.Where(p => !listedNames.Contains(p.BaseName) && entries.ContainsKey(p.BaseName) && list.FindByUid(p.Uid) is null))
        {
            kept.Add(record);
            listedNames.Add(record.BaseName);
        }

        var nextUid = Math.Max(list.NextUid, pendingRecords.Count == 0 ? 1 : pendingRecords.Max(p => p.Uid) + 1);
        var unlisted = entries.Values.Where(e => !listedNames.Contains(e.BaseName)).OrderBy(e => e.InternalDate).ThenBy(e => e.BaseName, StringComparer.Ordinal).ToList();
        var added = unlisted.Select(e => new UidListRecord(nextUid++, e.BaseName)).ToList();
        var rebuilt = UidList.Create(list.UidValidity, list.MailboxGuid ?? UidList.NewMailboxGuid(), nextUid).WithRecords(kept.Concat(added)).Value;
        if (!read.Succeeded || added.Count > 0 || kept.Count != list.Records.Count)
        {
            await UidListFile.WriteAsync(uidLock, rebuilt, cancellationToken);
        }

        var keywords = KeywordsFile.Read(folder.Path);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long mailboxId, modseq;
        if (row is { } existing)
        {
            mailboxId = existing.Id;
            modseq = existing.HighestModSeq + 1;
            if (existing.UidValidity != rebuilt.UidValidity)
            {
                // The tree says this is another mailbox generation: nothing cached for the old one applies.
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM messages WHERE mailbox_id = @id", new { id = mailboxId }, transaction, cancellationToken: cancellationToken));
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE mailboxes SET uidvalidity = @v, uidnext = greatest(CASE WHEN uidvalidity = @v THEN uidnext ELSE 1 END, @n), highestmodseq = @m, guid = @g WHERE id = @id",
                new { id = mailboxId, v = (long)rebuilt.UidValidity, n = (long)rebuilt.NextUid, m = modseq, g = rebuilt.MailboxGuid }, transaction, cancellationToken: cancellationToken));
        }
        else
        {
            modseq = 1;
            mailboxId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "INSERT INTO mailboxes (user_id, name, uidvalidity, uidnext, highestmodseq, guid) VALUES (@user, @name, @v, @n, 1, @g) RETURNING id",
                new { user = user.Id, name = name.Name, v = (long)rebuilt.UidValidity, n = (long)rebuilt.NextUid, g = rebuilt.MailboxGuid }, transaction, cancellationToken: cancellationToken));
        }

        // Rows that still match (same UID, same file) keep their cached MIME views; the rest are parsed again.
        var knownRows = (await connection.QueryAsync<(long Uid, string BaseName, string FileName, int Flags, string[] Keywords, DateTime Date)>(new CommandDefinition(
            "SELECT uid, base_name, file_name, flags, keywords, internal_date FROM messages WHERE mailbox_id = @id", new { id = mailboxId }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(k => k.Uid);
        var known = knownRows.ToDictionary(k => k.Key, k => k.Value.BaseName);
        var current = rebuilt.Records.Select(r => (Record: r, Entry: entries[r.BaseName])).ToList();
        var onDisk = current.Select(c => (c.Record.Uid, c.Record.BaseName)).ToHashSet();
        var stale = known.Where(k => !onDisk.Contains(((uint)k.Key, k.Value))).Select(k => k.Key).ToArray();
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM messages WHERE mailbox_id = @id AND uid = ANY(@uids)", new { id = mailboxId, uids = stale }, transaction, cancellationToken: cancellationToken));

        foreach (var (record, entry) in current.Where(c => known.TryGetValue(c.Record.Uid, out var b) && b == c.Record.BaseName))
        {
            var was = knownRows[record.Uid];
            if (was.FileName == RelativeName(entry) && was.Flags == (int)entry.Flags && Math.Abs((was.Date - entry.InternalDate.UtcDateTime).Ticks) < TimeSpan.TicksPerMillisecond
                && was.Keywords.Order(StringComparer.Ordinal).SequenceEqual(KeywordNames(keywords, entry).Order(StringComparer.Ordinal)))
            {
                continue; // already right: a reconstruct of an index that is current writes almost nothing
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE messages SET file_name = @file, flags = @flags, keywords = @keywords, internal_date = @date, pending = false, modseq = @modseq WHERE mailbox_id = @id AND uid = @uid",
                new { id = mailboxId, uid = (long)record.Uid, file = RelativeName(entry), flags = (int)entry.Flags, keywords = KeywordNames(keywords, entry), date = entry.InternalDate.UtcDateTime, modseq },
                transaction, cancellationToken: cancellationToken));
        }

        var toParse = current.Where(c => !(known.TryGetValue(c.Record.Uid, out var b) && b == c.Record.BaseName)).OrderBy(c => c.Record.Uid).ToList();
        await InsertParsedAsync(connection, mailboxId, modseq, keywords, toParse, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE mailboxes SET tree_stamp = @stamp WHERE id = @id", new { id = mailboxId, stamp = stampBeforeScan }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify('mailbox_changed', @payload)", new { payload = $"{mailboxId}:reconstruct:{modseq}" }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);

        folder.DeleteStaleTmpFiles(_options.StaleTmpAge, _time);
        // Rows may have been rewritten: this process forgets what it knew of them (other processes see the
        // reconstruct's notification and reread their sessions' views; message facts are immutable per UID).
        Catalog.Forget(mailboxId);
        return (mailboxId, current.Count, added.Count, toParse.Count);
    }

    /// <summary>
    /// Parses the files and inserts their rows as a pipeline, so that the client's parsing (with the search text and
    /// sort keys) and the inserts into <c>messages</c> (with its indexes) overlap instead of following one another,
    /// and memory holds a few chunks instead of every parsed message. Chunks of files are parsed on all cores; the
    /// rows go into <c>messages</c> by binary <c>COPY</c> in the reconstruct's transaction, in UID order.
    /// </summary>
    private async Task InsertParsedAsync(
        NpgsqlConnection connection, long mailboxId, long modseq, MaildirKeywords keywords,
        IReadOnlyList<(UidListRecord Record, MaildirEntry Entry)> files, CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return;
        }

        const int ChunkSize = 1000;
        var chunksInFlight = Math.Max(2, Environment.ProcessorCount);
        var chunks = System.Threading.Channels.Channel.CreateBounded<Task<ParsedChunk>>(chunksInFlight);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(async () =>
        {
            try
            {
                for (var start = 0; start < files.Count; start += ChunkSize)
                {
                    var chunk = files.Skip(start).Take(ChunkSize).ToArray();
                    await chunks.Writer.WriteAsync(Task.Run(() => ParseChunkAsync(chunk, stop.Token), stop.Token), stop.Token);
                }
            }
            finally
            {
                chunks.Writer.Complete();
            }
        }, stop.Token);

        try
        {
            var inserted = new List<long>(files.Count);
            await foreach (var pending in chunks.Reader.ReadAllAsync(cancellationToken))
            {
                // Two COPYs per chunk (one connection runs one at a time): the rows, then their views.
                var chunk = await pending;
                await using (var copy = await connection.BeginBinaryImportAsync("""
                    COPY messages (mailbox_id, uid, base_name, file_name, size, crlf_size, internal_date, flags, keywords, modseq) FROM STDIN (FORMAT BINARY)
                    """, cancellationToken))
                {
                    for (var i = 0; i < chunk.Files.Length; i++)
                    {
                        var (record, entry) = chunk.Files[i];
                        var index = chunk.Indexes[i];
                        await copy.StartRowAsync(cancellationToken);
                        await copy.WriteAsync(mailboxId, NpgsqlDbType.Bigint, cancellationToken);
                        await copy.WriteAsync((long)record.Uid, NpgsqlDbType.Bigint, cancellationToken);
                        await copy.WriteAsync(entry.BaseName, NpgsqlDbType.Text, cancellationToken);
                        await copy.WriteAsync(RelativeName(entry), NpgsqlDbType.Text, cancellationToken);
                        await copy.WriteAsync(index.Size, NpgsqlDbType.Bigint, cancellationToken);
                        await copy.WriteAsync(index.CrlfSize, NpgsqlDbType.Bigint, cancellationToken);
                        await copy.WriteAsync(entry.InternalDate.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                        await copy.WriteAsync((int)entry.Flags, NpgsqlDbType.Integer, cancellationToken);
                        await copy.WriteAsync(KeywordNames(keywords, entry), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                        await copy.WriteAsync(modseq, NpgsqlDbType.Bigint, cancellationToken);
                        inserted.Add((long)record.Uid);
                    }

                    await copy.CompleteAsync(cancellationToken);
                }

                await using (var copy = await connection.BeginBinaryImportAsync("""
                    COPY message_views (mailbox_id, uid, envelope, body, bodystructure, structure, sort_keys) FROM STDIN (FORMAT BINARY)
                    """, cancellationToken))
                {
                    for (var i = 0; i < chunk.Files.Length; i++)
                    {
                        var index = chunk.Indexes[i];
                        await copy.StartRowAsync(cancellationToken);
                        await copy.WriteAsync(mailboxId, NpgsqlDbType.Bigint, cancellationToken);
                        await copy.WriteAsync((long)chunk.Files[i].Record.Uid, NpgsqlDbType.Bigint, cancellationToken);
                        await copy.WriteAsync(index.Envelope, NpgsqlDbType.Bytea, cancellationToken);
                        await copy.WriteAsync(index.Body, NpgsqlDbType.Bytea, cancellationToken);
                        await copy.WriteAsync(index.BodyStructure, NpgsqlDbType.Bytea, cancellationToken);
                        await copy.WriteAsync(index.Structure, NpgsqlDbType.Bytea, cancellationToken);
                        await copy.WriteAsync(index.SortKeys, NpgsqlDbType.Bytea, cancellationToken);
                    }

                    await copy.CompleteAsync(cancellationToken);
                }
            }

            // The search indexer reads these messages again (their text would not fit in memory by the thousand).
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO search_pending (mailbox_id, uid) SELECT @id, unnest(@uids) ON CONFLICT DO NOTHING",
                new { id = mailboxId, uids = inserted.ToArray() }, cancellationToken: cancellationToken));
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
        finally
        {
            // The producer's chunks observe the cancellation; their faults are the ones rethrown above.
            try
            {
                await producer;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private sealed record ParsedChunk((UidListRecord Record, MaildirEntry Entry)[] Files, IndexedMessage[] Indexes);

    private Task<ParsedChunk> ParseChunkAsync((UidListRecord Record, MaildirEntry Entry)[] files, CancellationToken cancellationToken)
    {
        // Parsing and the search text (the same SearchText as a delivery's) on all cores, off the database.
        var indexes = new IndexedMessage[files.Length];
        Parallel.For(0, files.Length, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            indexes[i] = MessageIndexer.IndexFile(files[i].Entry.Path, _options.MaxSearchTextBytes);
        });
        return Task.FromResult(new ParsedChunk(files, indexes));
    }

    private static string RelativeName(MaildirEntry entry) =>
        (entry.IsNew ? MaildirFolder.NewDirectory : MaildirFolder.CurDirectory) + "/" + entry.Name.FullName;

    private static string[] KeywordNames(MaildirKeywords keywords, MaildirEntry entry) =>
        entry.Name.KeywordIndexes.Select(i => keywords[i]).OfType<string>().ToArray();

    /// <summary>
    /// Whether the index may be behind the tree: the uidlist and new/ as they are now (size and mtime). A stamp is
    /// recorded only when it was taken before the tree was read and found matching the index; any later change,
    /// ours or another program's (Dovecot, an LDA, a restore), makes it differ, and the next
    /// <see cref="RefreshIfBehindAsync"/> compares the uidlist and new/ with the index. Writers never record a stamp
    /// after their own change: that could hide a file another program dropped in between.
    /// </summary>
    private static string TreeStamp(string folderPath)
    {
        var uidlist = new FileInfo(UidListFile.PathIn(folderPath));
        var fresh = new DirectoryInfo(Path.Combine(folderPath, MaildirFolder.NewDirectory));
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{(uidlist.Exists ? uidlist.Length : -1)}:{(uidlist.Exists ? uidlist.LastWriteTimeUtc.Ticks : 0)}:{(fresh.Exists ? fresh.LastWriteTimeUtc.Ticks : 0)}");
    }

    /// <summary>
    /// Brings a mailbox's index up to the tree when something outside this store changed the tree (a message
    /// dropped into new/ by another program, a uidlist written by Dovecot). Cheap when nothing changed: one stat of
    /// the uidlist and of new/. Returns true when it reconstructed the folder.
    /// </summary>
    public async Task<bool> RefreshIfBehindAsync(MailUser user, MailboxInfo mailbox, CancellationToken cancellationToken)
    {
        var stamp = TreeStamp(mailbox.FolderPath);
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var recorded = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT tree_stamp FROM mailboxes WHERE id = @id", new { id = mailbox.Id }, cancellationToken: cancellationToken));
        if (recorded == stamp)
        {
            return false;
        }

        var list = UidListFile.Read(mailbox.FolderPath);
        var index = await connection.QuerySingleAsync<(long Count, long? Max)>(new CommandDefinition(
            "SELECT count(*), max(uid) FROM messages WHERE mailbox_id = @id", new { id = mailbox.Id }, cancellationToken: cancellationToken));
        var newDirectory = Path.Combine(mailbox.FolderPath, MaildirFolder.NewDirectory);
        var unlisted = Directory.Exists(newDirectory) && list.Succeeded
            && Directory.EnumerateFiles(newDirectory).Any(f => list.Value.FindByBaseName(Path.GetFileName(f)) is null);
        if (list.Succeeded && !unlisted && list.Value.Records.Count == index.Count && (list.Value.Records.Count == 0 ? null : (long?)list.Value.Records[^1].Uid) == index.Max)
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE mailboxes SET tree_stamp = @stamp WHERE id = @id", new { id = mailbox.Id, stamp }, cancellationToken: cancellationToken));
            return false;
        }

        await using var locking = await _sessionDb.OpenConnectionAsync(cancellationToken);
        await WithUserLockAsync(locking, user, exclusive: true, () => ReconstructFolderAsync(locking, user, mailbox.Name, new MaildirFolder(mailbox.FolderPath), cancellationToken));
        return true;
    }

    /// <summary>
    /// Start-up recovery: finishes every delivery that was committed in the index but not yet moved into place
    /// (a crash between the two), by reconstructing the users concerned. Returns how many users it recovered.
    /// </summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        List<(long Id, string Address)> users;
        await using (var connection = await _db.OpenConnectionAsync(cancellationToken))
        {
            users = (await connection.QueryAsync<(long Id, string Address)>(new CommandDefinition("""
                SELECT DISTINCT a.id, a.display FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id JOIN addresses a ON a.id = b.user_id WHERE m.pending
                """, cancellationToken: cancellationToken))).ToList();
        }

        foreach (var (id, address) in users)
        {
            // Deliveries still running in another process hold the user's lock shared: this waits for them.
            await ReconstructUserAsync(new MailUser(id, Core.Addresses.MailAddress.Parse(address)), null, cancellationToken);
        }

        // File names that a crash left behind their committed flags.
        await SyncAllMaildirFlagsAsync(cancellationToken);
        return users.Count;
    }

    /// <summary>Like Dovecot: the creation time in seconds, which changes whenever a mailbox is created anew.</summary>
    /// <summary>
    /// The time in seconds, as Dovecot chooses it, but never the same value twice in this process: a mailbox deleted and
    /// created again within a second must not get its old UIDVALIDITY back (RFC 9051 §2.3.1.1: a client holding
    /// UIDs of the old mailbox would take them for the new one's).
    /// </summary>
    private uint NewUidValidity()
    {
        var now = (uint)Math.Max(1, _time.GetUtcNow().ToUnixTimeSeconds());
        while (true)
        {
            var last = Volatile.Read(ref _lastUidValidity);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _lastUidValidity, next, last) == last)
            {
                return next;
            }
        }
    }
}
