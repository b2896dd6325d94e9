using Microsoft.Extensions.Logging;
using MailAppliance.Storage.Durability;
using Dapper;
using MailAppliance.Storage.Maildir;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

public enum FlagMode
{
    Replace,
    Add,
    Remove,
}

public sealed record FlagUpdate(uint Uid, MaildirFlags Flags, IReadOnlyList<string> Keywords, long ModSeq);

/// <summary>What a STORE did: the messages whose flags changed, and those refused by UNCHANGEDSINCE (RFC 7162).</summary>
public sealed record StoreResult(IReadOnlyList<FlagUpdate> Changed, IReadOnlyList<uint> Modified);

/// <summary>UIDPLUS (RFC 4315) COPYUID data: the target's UIDVALIDITY and the UIDs, source and target in step.</summary>
public sealed record CopyResult(uint UidValidity, IReadOnlyList<uint> SourceUids, IReadOnlyList<uint> TargetUids);

public sealed partial class MailStore
{
    /// <summary>
    /// Changes flags and keywords: the index rows get the new flags and one new modseq for the whole command, in one
    /// transaction with a NOTIFY and a <c>maildir_flag_sync</c> mark; the maildir file names (where the flags live
    /// on disk) follow in the background (<see cref="SyncMaildirFlagsAsync(long, CancellationToken)"/>), so the
    /// client does not wait for a rename per message. The mark is committed with the flags and removed only once
    /// the renames are on disk: a crash before that leaves it, and recovery renames then (migration 0021).
    /// </summary>
    public async Task<StoreResult> StoreFlagsAsync(
        MailUser user, MailboxInfo mailbox, IReadOnlyCollection<uint> uids, FlagMode mode, MaildirFlags flags, IReadOnlyList<string> keywords,
        long? unchangedSince, CancellationToken cancellationToken)
    {
        await using var connection = await _sessionDb.OpenConnectionAsync(cancellationToken);
        var changed = new List<FlagUpdate>();
        var modified = new List<uint>();
        await WithUserLockAsync(connection, user, exclusive: false, async () =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

            // The mailbox row's lock serialises STOREs on the mailbox, so the rows read next include every earlier
            // STORE's changes (no lost update between two sessions changing different flags of one message).
            var modseq = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = @id RETURNING highestmodseq", new { id = mailbox.Id }, transaction, cancellationToken: cancellationToken));
            if (unchangedSince is null && keywords.Count == 0 && UidCondition.For(uids) is { IsExact: true } set)
            {
                // Flags alone, no condition: one UPDATE decides and changes in PostgreSQL, without reading the rows
                // first or sending every row's new state (10,000 messages: 65 ms instead of 100).
                changed.AddRange(await UpdateFlagsInPlaceAsync(connection, transaction, mailbox, set, mode, flags, modseq, cancellationToken));
            }
            else
            {
                await UpdateFlagsAsync(connection, transaction, mailbox, uids, mode, flags, keywords, unchangedSince, modseq, changed, modified, cancellationToken);
            }

            if (changed.Count == 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                return;
            }

            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO maildir_flag_sync (mailbox_id, from_modseq, to_modseq) VALUES (@id, @modseq, @modseq)
                ON CONFLICT (mailbox_id) DO UPDATE SET to_modseq = excluded.to_modseq;
                SELECT pg_notify('mailbox_changed', @payload);
                """,
                new { id = mailbox.Id, modseq, payload = $"{mailbox.Id}:flags:{modseq}" },
                transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        });

        if (changed.Count > 0)
        {
            ScheduleFlagSync(mailbox.Id);
        }

        return new StoreResult(changed, modified);
    }

    /// <summary>
    /// Sets, adds or removes flags (no keywords named, no UNCHANGEDSINCE) on the rows <paramref name="set"/> selects
    /// exactly, in the caller's transaction: only rows whose flags change are written. Returns them in UID order.
    /// </summary>
    private static async Task<List<FlagUpdate>> UpdateFlagsInPlaceAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, MailboxInfo mailbox, UidCondition set, FlagMode mode, MaildirFlags flags, long modseq,
        CancellationToken cancellationToken)
    {
        var change = mode switch
        {
            FlagMode.Add => "flags = flags | $3 WHERE (flags & $3) <> $3",
            FlagMode.Remove => "flags = flags & ~$3 WHERE (flags & $3) <> 0",
            _ => "flags = $3, keywords = '{}'::text[] WHERE (flags <> $3 OR keywords <> '{}'::text[])",
        };
        var at = change.IndexOf(" WHERE ", StringComparison.Ordinal);
        await using var command = new NpgsqlCommand(
            $"UPDATE messages SET modseq = $2, {change[..at]} WHERE mailbox_id = $1 AND {set.Sql("uid", 4)} AND {change[(at + 7)..]} RETURNING uid, flags, keywords",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = modseq });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)flags });
        set.AddParameters(command);
        var changed = new List<FlagUpdate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            changed.Add(new FlagUpdate((uint)reader.GetInt64(0), (MaildirFlags)reader.GetInt32(1), reader.GetFieldValue<string[]>(2), modseq));
        }

        changed.Sort((a, b) => a.Uid.CompareTo(b.Uid));
        return changed;
    }

    /// <summary>
    /// The general STORE: reads the rows' flags and keywords, works out each new state (keywords compare without
    /// regard to case; UNCHANGEDSINCE refuses rows changed after it) and writes the rows that change.
    /// </summary>
    private static async Task UpdateFlagsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, MailboxInfo mailbox, IReadOnlyCollection<uint> uids, FlagMode mode, MaildirFlags flags,
        IReadOnlyList<string> keywords, long? unchangedSince, long modseq, List<FlagUpdate> changed, List<uint> modified, CancellationToken cancellationToken)
    {
        var rowUpdates = new List<(long Uid, int Flags, string Keywords)>();
        foreach (var row in await FlagRowsAsync(connection, transaction, mailbox, uids, cancellationToken))
        {
            if (unchangedSince is { } limit && row.ModSeq > limit)
            {
                modified.Add(row.Uid);
                continue;
            }

            var newFlags = mode switch
            {
                FlagMode.Replace => flags,
                FlagMode.Add => row.Flags | flags,
                _ => row.Flags & ~flags,
            };
            var newKeywords = keywords.Count == 0 && mode != FlagMode.Replace
                ? row.Keywords
                : mode switch
                {
                    FlagMode.Replace => keywords.Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
                    FlagMode.Add => row.Keywords.Union(keywords, StringComparer.OrdinalIgnoreCase).ToArray(),
                    _ => row.Keywords.Except(keywords, StringComparer.OrdinalIgnoreCase).ToArray(),
                };
            if (newFlags == row.Flags && (ReferenceEquals(newKeywords, row.Keywords) || newKeywords.Order(StringComparer.Ordinal).SequenceEqual(row.Keywords.Order(StringComparer.Ordinal))))
            {
                continue;
            }

            rowUpdates.Add((row.Uid, (int)newFlags, string.Join(KeywordSeparator, newKeywords)));
            changed.Add(new FlagUpdate(row.Uid, newFlags, newKeywords, modseq));
        }

        if (rowUpdates.Count == 0)
        {
            return;
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE messages m SET flags = u.flags, keywords = CASE WHEN u.keywords = '' THEN '{}'::text[] ELSE string_to_array(u.keywords, @separator) END, modseq = @modseq
            FROM unnest(@uids, @flags, @keywords) AS u(uid, flags, keywords)
            WHERE m.mailbox_id = @id AND m.uid = u.uid
            """,
            new
            {
                id = mailbox.Id, modseq, separator = KeywordSeparator,
                uids = rowUpdates.Select(r => r.Uid).ToArray(), flags = rowUpdates.Select(r => r.Flags).ToArray(), keywords = rowUpdates.Select(r => r.Keywords).ToArray(),
            },
            transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The flag state of the given messages, read in the caller's transaction (a narrow row reader, no mapping library).</summary>
    private static async Task<List<(uint Uid, MaildirFlags Flags, string[] Keywords, long ModSeq)>> FlagRowsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, MailboxInfo mailbox, IReadOnlyCollection<uint> uids, CancellationToken cancellationToken)
    {
        var rows = new List<(uint, MaildirFlags, string[], long)>(uids.Count);
        var set = UidCondition.For(uids);
        await using var command = new NpgsqlCommand($"SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = $1 AND {set.Sql("uid", 2)} ORDER BY uid", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
        set.AddParameters(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var uid = (uint)reader.GetInt64(0);
            if (set.Contains(uid))
            {
                rows.Add((uid, (MaildirFlags)reader.GetInt32(1), reader.GetFieldValue<string[]>(2), reader.GetInt64(3)));
            }
        }

        return rows;
    }

    /// <summary>
    /// Removes messages: the files first (so nothing can bring them back), then the index rows, with the expunge
    /// recorded at a new modseq, the quota credited and a NOTIFY; then the uidlist drops their lines.
    /// </summary>
    public async Task<IReadOnlyList<uint>> ExpungeAsync(MailUser user, MailboxInfo mailbox, IReadOnlyCollection<uint> uids, CancellationToken cancellationToken)
    {
        await using var connection = await _sessionDb.OpenConnectionAsync(cancellationToken);
        var removed = new List<uint>();
        await WithUserLockAsync(connection, user, exclusive: false, async () =>
        {
            var folder = new MaildirFolder(mailbox.FolderPath);
            var rows = await RowsAsync(connection, null, mailbox, uids, cancellationToken);
            if (rows.Count == 0)
            {
                return;
            }

            foreach (var row in rows)
            {
                if (Locate(folder, row) is { } entry)
                {
                    folder.Remove(entry);
                }
            }

            FileSystemSync.FsyncDirectory(folder.CurPath);
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                var modseq = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = @id RETURNING highestmodseq", new { id = mailbox.Id }, transaction, cancellationToken: cancellationToken));
                var deleted = (await connection.QueryAsync<(long Uid, long Size)>(new CommandDefinition(
                    "DELETE FROM messages WHERE mailbox_id = @id AND uid = ANY(@uids) RETURNING uid, size",
                    new { id = mailbox.Id, uids = rows.Select(r => (long)r.Uid).ToArray() }, transaction, cancellationToken: cancellationToken))).ToList();
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO expunged (mailbox_id, uid, modseq) SELECT @id, unnest(@uids), @modseq ON CONFLICT DO NOTHING",
                    new { id = mailbox.Id, uids = deleted.Select(d => d.Uid).ToArray(), modseq }, transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE quota_usage SET bytes = greatest(bytes - @bytes, 0), messages = greatest(messages - @count, 0) WHERE user_id = @user",
                    new { user = user.Id, bytes = deleted.Sum(d => d.Size), count = deleted.Count }, transaction, cancellationToken: cancellationToken));
                await NotifyAsync(connection, transaction, mailbox.Id, "expunge", modseq, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                removed.AddRange(deleted.Select(d => (uint)d.Uid).Order());
            }

            using var uidLock = await UidListLock.AcquireAsync(folder.Path, _options.Locks, _time, cancellationToken);
            var list = UidListFile.Read(folder.Path);
            if (list.Succeeded)
            {
                await UidListFile.WriteAsync(uidLock, list.Value.WithoutUids(removed), cancellationToken);
            }

        });
        return removed;
    }

    /// <summary>
    /// Copies messages (with their flags, keywords and INTERNALDATE) into another mailbox, where they get new UIDs in
    /// the order of the source UIDs; with <paramref name="move"/> the originals are expunged afterwards.
    /// The copies are made like deliveries: written and fsync'd in tmp/, committed in the index, then moved into place.
    /// </summary>
    public async Task<CopyResult> CopyMessagesAsync(MailUser user, MailboxInfo source, IReadOnlyCollection<uint> uids, MailboxInfo target, bool move, CancellationToken cancellationToken)
    {
        await using var connection = await _sessionDb.OpenConnectionAsync(cancellationToken);
        var sourceUids = new List<uint>();
        var targetUids = new List<uint>();
        var copiedFiles = new List<string>();
        await WithUserLockAsync(connection, user, exclusive: false, async () =>
        {
            var sourceFolder = new MaildirFolder(source.FolderPath);
            var targetFolder = new MaildirFolder(target.FolderPath);
            var rows = await RowsAsync(connection, null, source, uids, cancellationToken);
            var staged = new List<(MessageInfo Row, MaildirDelivery Delivery, MaildirFileName Name)>();
            try
            {
                foreach (var row in rows)
                {
                    await using var input = OpenMessage(source, row);
                    if (input is null)
                    {
                        continue;
                    }

                    var delivery = targetFolder.BeginDelivery(_names);
                    staged.Add((row, delivery, null!));
                    await input.CopyToAsync(delivery.Body, cancellationToken);
                    staged[^1] = (row, delivery, await delivery.SealAsync(row.InternalDate, cancellationToken));
                }

                if (staged.Count == 0)
                {
                    return;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                if (await TryChargeQuotaAsync(connection, transaction, user, staged.Sum(s => s.Row.Size), staged.Count, cancellationToken) is { } refusal)
                {
                    throw new MailstoreException(MailstoreError.OverQuota, refusal);
                }

                var first = await connection.QuerySingleAsync<(long FirstUid, long ModSeq)>(new CommandDefinition(
                    "UPDATE mailboxes SET uidnext = uidnext + @n, highestmodseq = highestmodseq + 1 WHERE id = @id RETURNING uidnext - @n, highestmodseq",
                    new { id = target.Id, n = staged.Count }, transaction, cancellationToken: cancellationToken));
                for (var i = 0; i < staged.Count; i++)
                {
                    var (row, delivery, name) = staged[i];
                    await connection.ExecuteAsync(new CommandDefinition("""
                        INSERT INTO messages (mailbox_id, uid, base_name, file_name, size, crlf_size, internal_date, flags, keywords, modseq, pending)
                        SELECT @target, @uid, @baseName, @file, size, crlf_size, internal_date, flags, keywords, @modseq, true
                        FROM messages WHERE mailbox_id = @source AND uid = @sourceUid;
                        INSERT INTO message_views (mailbox_id, uid, envelope, body, bodystructure, structure, sort_keys)
                        SELECT @target, @uid, envelope, body, bodystructure, structure, sort_keys
                        FROM message_views WHERE mailbox_id = @source AND uid = @sourceUid;
                        INSERT INTO search_pending (mailbox_id, uid, header, mime, addresses, body, complete)
                        SELECT @target, @uid, coalesce(s.header, p.header), coalesce(s.mime, p.mime), coalesce(s.addresses, p.addresses),
                               coalesce(s.body, p.body), coalesce(s.complete, p.complete)
                        FROM messages m
                        LEFT JOIN message_search s ON s.mailbox_id = m.mailbox_id AND s.uid = m.uid
                        LEFT JOIN search_pending p ON p.mailbox_id = m.mailbox_id AND p.uid = m.uid
                        WHERE m.mailbox_id = @source AND m.uid = @sourceUid
                        """, new { target = target.Id, uid = first.FirstUid + i, baseName = name.BaseName, file = MaildirFolder.TmpDirectory + "/" + Path.GetFileName(delivery.TmpPath),
                            modseq = first.ModSeq, source = source.Id, sourceUid = (long)row.Uid }, transaction, cancellationToken: cancellationToken));
                }

                await NotifyAsync(connection, transaction, target.Id, "exists", first.ModSeq, cancellationToken);
                await transaction.CommitAsync(cancellationToken);

                var keywordFile = KeywordsFile.Read(targetFolder.Path);
                var records = new List<UidListRecord>();
                for (var i = 0; i < staged.Count; i++)
                {
                    var (row, delivery, _) = staged[i];
                    var uid = (uint)(first.FirstUid + i);
                    var indexes = new List<int>();
                    foreach (var keyword in row.Keywords)
                    {
                        var added = await KeywordsFile.GetOrAddAsync(targetFolder.Path, keyword, _options.Locks, _time, cancellationToken);
                        if (added.Succeeded)
                        {
                            indexes.Add(added.Value);
                        }
                    }

                    var entry = await delivery.PublishAsync(row.Flags, indexes, cancellationToken);
                    records.Add(new UidListRecord(uid, entry.BaseName));
                    await connection.ExecuteAsync(new CommandDefinition(
                        "UPDATE messages SET pending = false, base_name = @baseName, file_name = @file WHERE mailbox_id = @id AND uid = @uid",
                        new { id = target.Id, uid = (long)uid, baseName = entry.BaseName, file = RelativeName(entry) }, cancellationToken: cancellationToken));
                    sourceUids.Add(row.Uid);
                    targetUids.Add(uid);
                    copiedFiles.Add(Path.Combine(target.FolderPath, RelativeName(entry)));
                }

                using (var uidLock = await UidListLock.AcquireAsync(targetFolder.Path, _options.Locks, _time, cancellationToken))
                {
                    await UidListFile.AddAsync(uidLock, records, cancellationToken);
                }
            }
            finally
            {
                foreach (var (_, delivery, _) in staged)
                {
                    await delivery.DisposeAsync(); // a no-op once published; removes tmp files of a failed copy
                }
            }
        });

        if (move && sourceUids.Count > 0)
        {
            await ExpungeAsync(user, source, sourceUids, cancellationToken);
        }

        if (copiedFiles.Count > 0)
        {
            RaiseCopied(new MessagesCopied(user, source.Name, target.Name, copiedFiles, move));
        }

        return new CopyResult(target.UidValidity, sourceUids, targetUids);
    }

    /// <summary>
    /// After a COPY or MOVE has committed: the typed change event (moves into or out of Junk train the classifier). A
    /// listener's failure never reaches the client.
    /// </summary>
    public event Action<MessagesCopied>? Copied;

    private void RaiseCopied(MessagesCopied copied)
    {
        try
        {
            Copied?.Invoke(copied);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "A listener of copies failed for user {UserId}", copied.User.Id);
        }
    }

    /// <summary>IMAP APPEND: a delivery with the client's flags, keywords and INTERNALDATE.</summary>
    public Task<DeliveryResult> AppendAsync(MailUser user, MailboxName mailbox, Stream content, MaildirFlags flags, IReadOnlyList<string> keywords, DateTimeOffset? internalDate, CancellationToken cancellationToken) =>
        DeliverAsync(new DeliveryRequest(user, mailbox) { Flags = flags, Keywords = keywords, InternalDate = internalDate }, content, cancellationToken);

    /// <summary>
    /// Charges the user's quota in the caller's transaction: null when it fits, else the reason. The row lock on
    /// quota_usage serialises concurrent charges, so usage stays exact.
    /// </summary>
    private static async Task<string?> TryChargeQuotaAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, MailUser user, long bytes, int count, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO quota_usage (user_id) VALUES (@user) ON CONFLICT DO NOTHING", new { user = user.Id }, transaction, cancellationToken: cancellationToken));
        var charged = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            UPDATE quota_usage q SET bytes = q.bytes + @bytes, messages = q.messages + @count
            FROM users u
            WHERE q.user_id = @user AND u.address_id = @user
              AND (u.quota_bytes IS NULL OR q.bytes + @bytes <= u.quota_bytes)
              AND (u.quota_messages IS NULL OR q.messages + @count <= u.quota_messages)
            RETURNING q.bytes
            """, new { user = user.Id, bytes, count }, transaction, cancellationToken: cancellationToken));
        return charged is null ? await QuotaReasonAsync(connection, transaction, user.Id, bytes, cancellationToken) : null;
    }

    // Keywords are IMAP atoms (no control characters), so the unit separator can join them for one array column.
    private const string KeywordSeparator = "\u001f";

    private static Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long mailboxId, string kind, long modseq, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify('mailbox_changed', @payload)", new { payload = $"{mailboxId}:{kind}:{modseq}" }, transaction, cancellationToken: cancellationToken));

    private static async Task<List<MessageInfo>> RowsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, MailboxInfo mailbox, IReadOnlyCollection<uint> uids, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<MessageRow>(new CommandDefinition(
            "SELECT mailbox_id AS MailboxId, uid, base_name AS BaseName, file_name AS FileName, size, crlf_size AS CrlfSize, internal_date AS InternalDate, flags, keywords, modseq AS ModSeq FROM messages WHERE mailbox_id = @id AND uid = ANY(@uids) ORDER BY uid",
            new { id = mailbox.Id, uids = uids.Select(u => (long)u).ToArray() }, transaction, cancellationToken: cancellationToken));
        return rows.Select(ToInfo).ToList();
    }

    /// <summary>The file of a message: where the index saw it last, else found by base name.</summary>
    private static MaildirEntry? Locate(MaildirFolder folder, MessageInfo row)
    {
        var path = Path.Combine(folder.Path, row.FileName);
        var name = MaildirFileName.Parse(Path.GetFileName(path));
        // One stat: a background flag rename (MailStore.FlagSync) may move the file at any moment, and a second look
        // at a path that was there a moment ago would throw FileNotFoundException (an EXPUNGE right after a STORE).
        var info = new FileInfo(path);
        if (name.Succeeded && info.Exists && !row.FileName.StartsWith(MaildirFolder.TmpDirectory + "/", StringComparison.Ordinal))
        {
            return new MaildirEntry(path, name.Value, row.FileName.StartsWith(MaildirFolder.NewDirectory + "/", StringComparison.Ordinal), info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero));
        }

        return folder.Find(row.BaseName);
    }
}
