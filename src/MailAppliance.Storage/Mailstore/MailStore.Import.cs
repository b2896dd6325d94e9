using MailAppliance.Storage.Database;
using Dapper;
using MailAppliance.Storage.Durability;
using MailAppliance.Storage.Import;
using MailAppliance.Storage.Maildir;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

public sealed partial class MailStore
{
    /// <summary>
    /// Begins an import into a mailbox (created when missing). Whether the source's UIDs are kept is decided here,
    /// under the user's exclusive lock (no delivery is half-way):
    /// <list type="bullet">
    /// <item>the source has no UIDVALIDITY: new UIDs;</item>
    /// <item>the mailbox already has the source's UIDVALIDITY and holds imported messages or none (a resumed
    /// import): UIDs kept, UIDNEXT raised to the source's;</item>
    /// <item>the mailbox holds no message (INBOX included): it takes the source's UIDVALIDITY and UIDNEXT — the
    /// dovecot-uidlist header first (durable), then the index, so a reconstruct at any point gives the same numbers.
    /// Deliveries from then on get UIDs from the source's UIDNEXT up, so the imported ones never collide with
    /// them;</item>
    /// <item>else (messages are there): new UIDs, and <see cref="MailboxImport.HadMessages"/> says so.</item>
    /// </list>
    /// A dry run changes nothing and reports what would be decided.
    /// </summary>
    public async Task<MailboxImport> BeginImportAsync(
        MailUser user, MailboxName name, uint? sourceUidValidity, uint sourceUidNext, bool dryRun, CancellationToken cancellationToken)
    {
        if (dryRun)
        {
            return await DryRunImportAsync(user, name, sourceUidValidity, cancellationToken);
        }

        var mailbox = await EnsureMailboxAsync(user, name, cancellationToken);
        await RefreshIfBehindAsync(user, mailbox, cancellationToken);
        bool keeps, hadMessages;
        await using (var connection = await _sessionDb.OpenConnectionAsync(cancellationToken))
        {
            (keeps, hadMessages) = (false, false);
            await WithUserLockAsync(connection, user, exclusive: true, async () =>
            {
                var row = await connection.QuerySingleAsync<(long UidValidity, long UidNext, bool HasMessages, bool HasImported)>(new CommandDefinition(
                    "SELECT uidvalidity, uidnext, EXISTS (SELECT 1 FROM messages WHERE mailbox_id = @id), EXISTS (SELECT 1 FROM imported_messages WHERE mailbox_id = @id) FROM mailboxes WHERE id = @id",
                    new { id = mailbox.Id }, cancellationToken: cancellationToken));
                if (sourceUidValidity is not { } validity)
                {
                    return;
                }

                var next = Math.Max(sourceUidNext, 1u);
                // The same UIDVALIDITY is a resumed import only if an import put messages there: both servers derive
                // UIDVALIDITY from the clock, so a mailbox made in the same second as the source has it by chance.
                if (row.UidValidity == validity && (row.HasImported || !row.HasMessages))
                {
                    keeps = true;
                    if (row.UidNext < next)
                    {
                        await SetUidsAsync(connection, mailbox, validity, next, newGeneration: false, cancellationToken);
                    }
                }
                else if (!row.HasMessages)
                {
                    keeps = true;
                    await SetUidsAsync(connection, mailbox, validity, next, newGeneration: true, cancellationToken);
                }
                else
                {
                    hadMessages = true;
                }
            });
        }

        _deliveryTargets.TryRemove((user.Id, name.Name), out _);
        var current = await FindMailboxAsync(user, name, cancellationToken)
            ?? throw new MailstoreException(MailstoreError.NoSuchMailbox, $"mailbox {name} vanished during the import");
        var import = new MailboxImport(this, user, name, current, keeps, hadMessages, dryRun: false);
        var keywords = KeywordsFile.Read(current.FolderPath);
        for (var i = 0; i < MaildirKeywords.MaxKeywords; i++)
        {
            if (keywords[i] is { } keyword)
            {
                import.KeywordIndexes.TryAdd(keyword, i);
            }
        }

        return import;
    }

    private async Task<MailboxImport> DryRunImportAsync(MailUser user, MailboxName name, uint? sourceUidValidity, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(long Id, long UidValidity, bool HasMessages)?>(new CommandDefinition(
            "SELECT id, uidvalidity, EXISTS (SELECT 1 FROM messages WHERE mailbox_id = mailboxes.id) FROM mailboxes WHERE user_id = @user AND name = @name",
            new { user = user.Id, name = name.Name }, cancellationToken: cancellationToken));
        MailboxInfo? mailbox = row is null ? null : await FindMailboxAsync(user, name, cancellationToken);
        var keeps = sourceUidValidity is { } v && (row is null || row.Value.UidValidity == v || !row.Value.HasMessages);
        var hadMessages = sourceUidValidity is { } w && row is { } r && r.UidValidity != w && r.HasMessages;
        return new MailboxImport(this, user, name, mailbox, keeps, hadMessages, dryRun: true);
    }

    /// <summary>
    /// Gives the mailbox the source's UIDVALIDITY (a new generation: the old expunge history and import records
    /// go) or raises its UIDNEXT. The uidlist header is written first, then the index.
    /// </summary>
    private async Task SetUidsAsync(NpgsqlConnection connection, MailboxInfo mailbox, uint uidValidity, uint uidNext, bool newGeneration, CancellationToken cancellationToken)
    {
        string guid;
        using (var uidLock = await UidListLock.AcquireAsync(mailbox.FolderPath, _options.Locks, _time, cancellationToken))
        {
            var read = UidListFile.Read(mailbox.FolderPath);
            guid = (read.Succeeded ? read.Value.MailboxGuid : null) ?? UidList.NewMailboxGuid();
            var list = newGeneration || !read.Succeeded
                ? UidList.Create(uidValidity, guid, uidNext)
                : read.Value.WithNextUid(Math.Max(read.Value.NextUid, uidNext));
            await UidListFile.WriteAsync(uidLock, list, cancellationToken);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var modseq = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "UPDATE mailboxes SET uidvalidity = @v, uidnext = greatest(@n, CASE WHEN uidvalidity = @v THEN uidnext ELSE 1 END), highestmodseq = highestmodseq + 1, guid = @g, tree_stamp = NULL WHERE id = @id RETURNING highestmodseq",
            new { id = mailbox.Id, v = (long)uidValidity, n = (long)uidNext, g = guid }, transaction, cancellationToken: cancellationToken));
        if (newGeneration)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM expunged WHERE mailbox_id = @id; DELETE FROM imported_messages WHERE mailbox_id = @id",
                new { id = mailbox.Id }, transaction, cancellationToken: cancellationToken));
        }

        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify('mailbox_changed', @payload)",
            new { payload = $"{mailbox.Id}:reconstruct:{modseq}" }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    internal ImportStaging StageImport(MailboxImport import, uint? sourceUid, MaildirFlags flags, IReadOnlyList<string> keywords, DateTimeOffset? internalDate)
    {
        var folder = new MaildirFolder(import.Mailbox!.FolderPath);
        return new ImportStaging(folder.BeginDelivery(_names), fsync: _barrier is null, _options.MaxSearchTextBytes)
        {
            SourceUid = sourceUid,
            Flags = flags,
            Keywords = keywords,
            InternalDate = internalDate,
        };
    }

    internal async Task<ImportKnown> LoadImportKnownAsync(MailboxImport import, bool dedupe, CancellationToken cancellationToken)
    {
        var known = new ImportKnown();
        if (import.Mailbox is not { } mailbox)
        {
            return known;
        }

        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var id = mailbox.Id;
        foreach (var uid in await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT uid FROM messages WHERE mailbox_id = @id UNION ALL SELECT uid FROM expunged WHERE mailbox_id = @id", new { id }, cancellationToken: cancellationToken)))
        {
            known.Uids.Add((uint)uid);
        }

        foreach (var row in await connection.QueryAsync<(byte[] Hash, string Key, long Uid, bool Present)>(new CommandDefinition("""
            SELECT i.content_hash, i.dedupe_key, i.uid, m.uid IS NOT NULL
            FROM imported_messages i LEFT JOIN messages m ON m.mailbox_id = i.mailbox_id AND m.uid = i.uid WHERE i.mailbox_id = @id
            """, new { id }, cancellationToken: cancellationToken)))
        {
            known.ContentHashes.Add(Convert.ToHexStringLower(row.Hash));
            if (row.Present)
            {
                known.DedupeKeys.TryAdd(row.Key, (uint)row.Uid);
            }
        }

        if (dedupe)
        {
            // Messages that arrived otherwise (delivered, appended): their Message-ID from the cached ENVELOPE.
            foreach (var (uid, envelope) in await connection.QueryAsync<(long Uid, byte[] Envelope)>(new CommandDefinition(
                "SELECT uid, envelope FROM message_views WHERE mailbox_id = @id AND envelope IS NOT NULL", new { id }, cancellationToken: cancellationToken, flags: CommandFlags.None)))
            {
                if (EnvelopeMessageId.Read(envelope) is { } messageId)
                {
                    known.DedupeKeys.TryAdd("mid:" + messageId, (uint)uid);
                }
            }
        }

        return known;
    }

    /// <summary>
    /// Commits a batch of sealed imports with the same steps, in the same order, as a delivery group (see
    /// <see cref="DeliverAsync"/>), so start-up recovery treats a crash at any point alike: the bytes are made
    /// durable (one barrier for the batch); one transaction gives the UIDs (kept ones below UIDNEXT, new ones from
    /// UIDNEXT up), charges the quota (an import is not refused for it), inserts the rows pending with the import
    /// records, and NOTIFYs; the files move into cur/ or new/ (durable); the uidlist gets their lines (durable); the
    /// rows stop being pending. The user's lock is held shared throughout, as deliveries hold it.
    /// </summary>
    internal async Task CommitImportAsync(MailboxImport import, IReadOnlyList<ImportStaging> batch, CancellationToken cancellationToken)
    {
        var mailbox = import.Mailbox!;
        var folder = new MaildirFolder(mailbox.FolderPath);
        if (_barrier is not null)
        {
            await _barrier.SyncAsync(folder.TmpPath);
        }

        var keywordIndexes = new Dictionary<ImportStaging, IReadOnlyCollection<int>>();
        foreach (var staging in batch)
        {
            keywordIndexes[staging] = await ImportKeywordIndexesAsync(import, folder, staging.Keywords, cancellationToken);
        }

        await using var connection = await _sessionDb.OpenConnectionAsync(cancellationToken);
        var userKey = UserLockKey(import.User.Id);
        StorageDatabase.EnsureResetOnReturn(connection);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock_shared(@key)", new { key = userKey }, cancellationToken: cancellationToken));
        var committed = new List<ImportStaging>();
        try
        {
            committed = await CommitImportRowsAsync(connection, import, batch, cancellationToken);
            foreach (var left in batch.Where(s => s.Uid == 0))
            {
                await left.DisposeAsync();
            }

            if (committed.Count == 0)
            {
                return;
            }

            await PublishImportAsync(folder, committed, keywordIndexes);
            await using var finish = new NpgsqlBatch(connection);
            finish.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            finish.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO OFF"));
            var published = committed.Where(s => s.Entry is not null).ToList();
            finish.BatchCommands.Add(Command("""
                UPDATE messages m SET pending = false, base_name = r.base_name, file_name = r.file_name
                FROM unnest($1::bigint[], $2::text[], $3::text[]) AS r (uid, base_name, file_name)
                WHERE m.mailbox_id = $4 AND m.uid = r.uid
                """,
                published.Select(s => (long)s.Uid).ToArray(), published.Select(s => s.Entry!.BaseName).ToArray(),
                published.Select(s => RelativeName(s.Entry!)).ToArray(), mailbox.Id));
            finish.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            await finish.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch
        {
            foreach (var staging in committed.Where(s => s.Entry is null))
            {
                // The index refers to the tmp file: start-up recovery moves it into place with its UID.
                staging.File.KeepForRecovery();
            }

            throw;
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock_shared(@key)", new { key = userKey }, cancellationToken: CancellationToken.None));
        }
    }

    private async Task<List<ImportStaging>> CommitImportRowsAsync(NpgsqlConnection connection, MailboxImport import, IReadOnlyList<ImportStaging> batch, CancellationToken cancellationToken)
    {
        var mailbox = import.Mailbox!;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var box = await connection.QuerySingleAsync<(long UidValidity, long UidNext, long ModSeq)>(new CommandDefinition(
            "SELECT uidvalidity, uidnext, highestmodseq FROM mailboxes WHERE id = @id FOR UPDATE", new { id = mailbox.Id }, transaction, cancellationToken: cancellationToken));
        if (box.UidValidity != mailbox.UidValidity)
        {
            throw new MailstoreException(MailstoreError.NoSuchMailbox, $"mailbox {mailbox.Name} was recreated during the import");
        }

        var wanted = batch.Where(s => s.SourceUid is not null).Select(s => (long)s.SourceUid!.Value).ToArray();
        var taken = import.KeepsUids && wanted.Length > 0
            ? (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT uid FROM messages WHERE mailbox_id = @id AND uid = ANY(@wanted) UNION SELECT uid FROM expunged WHERE mailbox_id = @id AND uid = ANY(@wanted)",
                new { id = mailbox.Id, wanted }, transaction, cancellationToken: cancellationToken))).Select(u => (uint)u).ToHashSet()
            : [];
        var uidNext = box.UidNext;
        var rows = new List<ImportStaging>();
        foreach (var staging in batch)
        {
            if (import.KeepsUids && staging.SourceUid is { } uid && uid < box.UidNext)
            {
                if (!taken.Add(uid))
                {
                    staging.Uid = 0; // imported meanwhile (another run): left out
                    continue;
                }

                staging.Uid = uid;
            }
            else
            {
                staging.Uid = (uint)uidNext++;
            }

            rows.Add(staging);
        }

        if (rows.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return rows;
        }

        var modseq = box.ModSeq + 1;
        await using (var insert = new NpgsqlBatch(connection, transaction))
        {
            insert.BatchCommands.Add(Command("UPDATE mailboxes SET uidnext = $2, highestmodseq = $3 WHERE id = $1", mailbox.Id, uidNext, modseq));
            insert.BatchCommands.Add(Command("INSERT INTO quota_usage (user_id) VALUES ($1) ON CONFLICT DO NOTHING", import.User.Id));
            insert.BatchCommands.Add(Command("UPDATE quota_usage SET bytes = bytes + $2, messages = messages + $3 WHERE user_id = $1",
                import.User.Id, rows.Sum(s => s.Index!.Size), (long)rows.Count));
            insert.BatchCommands.Add(Command("""
                INSERT INTO messages (mailbox_id, uid, base_name, file_name, size, crlf_size, internal_date, flags, keywords, modseq, pending)
                SELECT $1, r.uid, r.base_name, r.file_name, r.size, r.crlf_size, r.internal_date, r.flags, string_to_array(r.keywords, ' '), $2, true
                FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::timestamptz[], $9::integer[], $10::text[])
                     AS r (uid, base_name, file_name, size, crlf_size, internal_date, flags, keywords)
                """,
                mailbox.Id, modseq,
                rows.Select(s => (long)s.Uid).ToArray(),
                rows.Select(s => s.Name!.BaseName).ToArray(),
                rows.Select(s => MaildirFolder.TmpDirectory + "/" + Path.GetFileName(s.File.TmpPath)).ToArray(),
                rows.Select(s => s.Index!.Size).ToArray(),
                rows.Select(s => s.Index!.CrlfSize).ToArray(),
                rows.Select(s => s.StoredDate.UtcDateTime).ToArray(),
                rows.Select(s => (int)s.Flags).ToArray(),
                // IMAP keywords are atoms (RFC 3501 §9: flag-keyword = atom): a space cannot occur in one.
                rows.Select(s => string.Join(' ', s.Keywords)).ToArray()));
            insert.BatchCommands.Add(Command("""
                INSERT INTO message_views (mailbox_id, uid, envelope, body, bodystructure, structure, sort_keys)
                SELECT $1, r.uid, r.envelope, r.body, r.bodystructure, r.structure, r.sort_keys
                FROM unnest($2::bigint[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[], $7::bytea[])
                     AS r (uid, envelope, body, bodystructure, structure, sort_keys)
                """,
                mailbox.Id,
                rows.Select(s => (long)s.Uid).ToArray(),
                rows.Select(s => s.Index!.Envelope).ToArray(),
                rows.Select(s => s.Index!.Body).ToArray(),
                rows.Select(s => s.Index!.BodyStructure).ToArray(),
                rows.Select(s => s.Index!.Structure).ToArray(),
                rows.Select(s => s.Index!.SortKeys).ToArray()));

            // The search text waits for the indexer, as a delivery's does (migration 0020).
            insert.BatchCommands.Add(Command("""
                INSERT INTO search_pending (mailbox_id, uid, header, mime, addresses, body, complete)
                SELECT $1, r.uid, r.header, r.mime, r.addresses, r.body, r.complete
                FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[]) AS r (uid, header, mime, addresses, body, complete)
                """,
                mailbox.Id,
                rows.Select(s => (long)s.Uid).ToArray(),
                rows.Select(s => s.Index!.Search.Header).ToArray(),
                rows.Select(s => s.Index!.Search.Mime).ToArray(),
                rows.Select(s => s.Index!.Search.Addresses).ToArray(),
                rows.Select(s => s.Index!.Search.Body).ToArray(),
                rows.Select(s => s.Index!.Search.Complete).ToArray()));
            insert.BatchCommands.Add(Command("""
                INSERT INTO imported_messages (mailbox_id, content_hash, dedupe_key, uid)
                SELECT $1, r.hash, r.key, r.uid FROM unnest($2::bytea[], $3::text[], $4::bigint[]) AS r (hash, key, uid)
                ON CONFLICT DO NOTHING
                """, mailbox.Id, rows.Select(s => s.Fingerprint.ContentHash).ToArray(), rows.Select(s => s.Fingerprint.DedupeKey).ToArray(),
                rows.Select(s => (long)s.Uid).ToArray()));
            insert.BatchCommands.Add(Command("SELECT pg_notify('mailbox_changed', $1)", $"{mailbox.Id}:exists:{modseq}"));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(CancellationToken.None);
        return rows;
    }

    /// <summary>The files into cur/ (flags) or new/, one barrier (or directory fsync) for all; then their uidlist lines.</summary>
    private async Task PublishImportAsync(MaildirFolder folder, List<ImportStaging> committed, Dictionary<ImportStaging, IReadOnlyCollection<int>> keywordIndexes)
    {
        var directories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var staging in committed)
        {
            staging.Entry = await staging.File.PublishAsync(staging.Flags, keywordIndexes[staging], syncDirectory: false, CancellationToken.None);
            directories.Add(Path.GetDirectoryName(staging.Entry.Path)!);
        }

        if (_barrier is not null)
        {
            await _barrier.SyncAsync(folder.Path);
        }
        else
        {
            foreach (var directory in directories)
            {
                FileSystemSync.FsyncDirectory(directory);
            }
        }

        await AppendToUidListAsync(folder, committed.Select(s => new UidListRecord(s.Uid, s.Entry!.BaseName)).ToList(), CancellationToken.None);
        if (_barrier is not null)
        {
            await _barrier.SyncAsync(folder.Path);
        }
    }

    /// <summary>Keyword letters for a message, from the import's cache; a new keyword is added to dovecot-keywords once.</summary>
    private async Task<IReadOnlyCollection<int>> ImportKeywordIndexesAsync(MailboxImport import, MaildirFolder folder, IReadOnlyList<string> keywords, CancellationToken cancellationToken)
    {
        if (keywords.Count == 0)
        {
            return [];
        }

        var indexes = new List<int>();
        foreach (var keyword in keywords)
        {
            if (!import.KeywordIndexes.TryGetValue(keyword, out var index))
            {
                var added = await KeywordsFile.GetOrAddAsync(folder.Path, keyword, _options.Locks, _time, cancellationToken);
                // Past 26 keywords a folder's file names cannot carry more: the index keeps them (as Dovecot's does).
                index = added.Succeeded ? added.Value : -1;
                import.KeywordIndexes[keyword] = index;
            }

            if (index >= 0)
            {
                indexes.Add(index);
            }
        }

        return indexes;
    }
}
