using Dapper;
using MailAppliance.Storage.Maildir;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// Group commit of deliveries. Each caller writes, fsyncs and parses its own message in <c>tmp/</c>; sealed
/// deliveries then queue here, and one group at a time is committed: one PostgreSQL transaction for the whole
/// group (the mailboxes locked in id order, delivery keys looked up together, one quota charge per user, one UID
/// range per mailbox, one multi-row insert, one NOTIFY per mailbox: one WAL flush), then the files are moved with
/// one directory fsync per directory, one dovecot-uidlist append per folder, and one final update. Deliveries that
/// arrive while a group commits form the next group, so the group grows with the load and a lone delivery waits
/// for nobody. The crash-safety steps and their order are those of a single delivery (see
/// <see cref="DeliverAsync"/>), with every fault-injection point passed once per group.
/// </summary>
public sealed partial class MailStore
{
    private const int MaxGroupSize = 256;

    // Folders worked on side by side after the commit (renames, directory fsyncs, uidlist appends).
    private const int FolderParallelism = 8;

    private readonly Lock _groupGate = new();
    private List<GroupMember> _waitingDeliveries = [];
    private bool _groupRunning;

    /// <summary>A delivery whose file is fsync'd in <c>tmp/</c> and parsed, ready for the index.</summary>
    private sealed record SealedDelivery(
        DeliveryRequest Request, MailboxInfo Mailbox, MaildirFolder Folder, MaildirDelivery File, MaildirFileName Name, IndexedMessage Index,
        DateTimeOffset InternalDate, IReadOnlyCollection<int> KeywordIndexes);

    private sealed class GroupMember(SealedDelivery delivery)
    {
        public SealedDelivery Delivery { get; } = delivery;

        /// <summary>The outcome; null when the cached mailbox no longer is the one of that name (the caller looks again).</summary>
        public TaskCompletionSource<DeliveryResult?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public uint Uid { get; set; }

        public uint UidValidity { get; set; }

        public MaildirEntry? Entry { get; set; }
    }

    private Task<DeliveryResult?> CommitInGroupAsync(SealedDelivery delivery)
    {
        var member = new GroupMember(delivery);
        bool start;
        lock (_groupGate)
        {
            _waitingDeliveries.Add(member);
            start = !_groupRunning;
            _groupRunning = true;
        }

        if (start)
        {
            _ = Task.Run(RunGroupsAsync);
        }

        return member.Done.Task;
    }

    private async Task RunGroupsAsync()
    {
        while (true)
        {
            List<GroupMember> group;
            lock (_groupGate)
            {
                if (_waitingDeliveries.Count == 0)
                {
                    _groupRunning = false;
                    return;
                }

                if (_waitingDeliveries.Count <= MaxGroupSize)
                {
                    group = _waitingDeliveries;
                    _waitingDeliveries = [];
                }
                else
                {
                    group = _waitingDeliveries[..MaxGroupSize];
                    _waitingDeliveries = _waitingDeliveries[MaxGroupSize..];
                }
            }

            await CommitGroupSafelyAsync(group);
        }
    }

    /// <summary>Commits a group; whatever fails reaches every member not yet answered (none is left waiting).</summary>
    private async Task CommitGroupSafelyAsync(IReadOnlyList<GroupMember> group)
    {
        try
        {
            await CommitGroupAsync(group);
        }
        catch (Exception e)
        {
            foreach (var member in group)
            {
                member.Done.TrySetException(e);
            }
        }
    }

    private async Task CommitGroupAsync(IReadOnlyList<GroupMember> group)
    {
        // Reconstruct takes a user's lock exclusively: it must not run between our commit and the last step.
        var userKeys = group.Select(m => UserLockKey(m.Delivery.Request.User.Id)).Distinct().Order().ToArray();
        var oneByOne = new List<GroupMember>();
        await using (var connection = await _db.OpenConnectionAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("SELECT pg_advisory_lock_shared(k) FROM (SELECT unnest(@keys) AS k ORDER BY 1) s", new { keys = userKeys });
            var unlocked = false;
            var finishing = false;
            try
            {
                List<GroupMember> committed;
                try
                {
                    committed = await CommitRowsAsync(connection, group, oneByOne);
                }
                catch (PostgresException) when (group.Count > 1)
                {
                    // A conflict with another process (a deadlock, a key inserted meanwhile): each on its own.
                    committed = [];
                    oneByOne.Clear();
                    oneByOne.AddRange(group.Where(m => !m.Done.Task.IsCompleted));
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && group[0].Delivery.Request.DeliveryKey is { } key)
                {
                    // The same delivery, retried while the first attempt was still running: that one wins.
                    var member = group[0];
                    var uid = (uint?)await connection.ExecuteScalarAsync<long?>(
                        "SELECT uid FROM messages WHERE mailbox_id = @id AND delivery_key = @key", new { id = member.Delivery.Mailbox.Id, key }) ?? 0;
                    await member.Delivery.File.DisposeAsync();
                    member.Done.TrySetResult(new DeliveryResult(DeliveryStatus.AlreadyDelivered, member.Delivery.Mailbox.Id, member.Delivery.Mailbox.UidValidity, uid));
                    committed = [];
                }

                if (committed.Count > 0)
                {
                    await PublishGroupAsync(committed);
                    finishing = true;
                    await FinishGroupAsync(connection, committed, userKeys);
                    unlocked = true;
                    foreach (var member in committed)
                    {
                        member.Done.TrySetResult(new DeliveryResult(DeliveryStatus.Delivered, member.Delivery.Mailbox.Id, member.UidValidity, member.Uid));
                    }
                }
            }
            finally
            {
                if (!unlocked)
                {
                    if (finishing)
                    {
                        await connection.ExecuteAsync("ROLLBACK"); // the final update's transaction, if it failed half-way
                    }

                    await connection.ExecuteAsync("SELECT pg_advisory_unlock_shared(k) FROM unnest(@keys) AS k", new { keys = userKeys });
                }
            }
        }

        foreach (var member in oneByOne)
        {
            await CommitGroupSafelyAsync([member]);
        }
    }

    /// <summary>
    /// The index part of a group, in one transaction: returns the members whose rows are now committed (pending),
    /// answers those already delivered, over quota or aimed at a stale mailbox, and puts into
    /// <paramref name="oneByOne"/> those that must be committed alone (a user whose quota the group as a whole
    /// would exceed, a delivery key twice in one group).
    /// </summary>
    private async Task<List<GroupMember>> CommitRowsAsync(NpgsqlConnection connection, IReadOnlyList<GroupMember> group, List<GroupMember> oneByOne)
    {
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
        var mailboxIds = group.Select(m => m.Delivery.Mailbox.Id).Distinct().Order().ToArray();
        var keyed = group.Where(m => m.Delivery.Request.DeliveryKey is not null).ToList();

        // Locking the mailbox rows first (in id order, as every group does) serialises groups of several processes
        // per mailbox; a key committed by another process before we got the lock is then visible to the lookup.
        var boxes = new Dictionary<long, (long UserId, string Name, uint UidValidity, long UidNext, long ModSeq)>();
        var delivered = new Dictionary<(long MailboxId, string Key), uint>();
        await using (var lookup = new NpgsqlBatch(connection, transaction))
        {
            lookup.BatchCommands.Add(Command(
                "SELECT id, user_id, name, uidvalidity, uidnext, highestmodseq FROM mailboxes WHERE id = ANY($1) ORDER BY id FOR UPDATE", mailboxIds));
            lookup.BatchCommands.Add(Command("""
                SELECT m.mailbox_id, m.delivery_key, m.uid FROM messages m
                JOIN unnest($1::bigint[], $2::text[]) AS k (mailbox_id, delivery_key) ON m.mailbox_id = k.mailbox_id AND m.delivery_key = k.delivery_key
                """, keyed.Select(m => m.Delivery.Mailbox.Id).ToArray(), keyed.Select(m => m.Delivery.Request.DeliveryKey!).ToArray()));
            await using var reader = await lookup.ExecuteReaderAsync(CancellationToken.None);
            while (await reader.ReadAsync())
            {
                boxes[reader.GetInt64(0)] = (reader.GetInt64(1), reader.GetString(2), (uint)reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
            }

            await reader.NextResultAsync();
            while (await reader.ReadAsync())
            {
                delivered[(reader.GetInt64(0), reader.GetString(1))] = (uint)reader.GetInt64(2);
            }
        }

        var rows = new List<GroupMember>();
        var keysInGroup = new HashSet<(long, string)>();
        foreach (var member in group)
        {
            var d = member.Delivery;
            if (!boxes.TryGetValue(d.Mailbox.Id, out var box) || box.UserId != d.Request.User.Id || box.Name != d.Mailbox.Name.Name)
            {
                member.Done.TrySetResult(null);
                continue;
            }

            member.UidValidity = box.UidValidity;
            if (d.Request.DeliveryKey is { } key)
            {
                if (delivered.TryGetValue((d.Mailbox.Id, key), out var earlier))
                {
                    await d.File.DisposeAsync();
                    member.Done.TrySetResult(new DeliveryResult(DeliveryStatus.AlreadyDelivered, d.Mailbox.Id, box.UidValidity, earlier));
                    continue;
                }

                if (!keysInGroup.Add((d.Mailbox.Id, key)))
                {
                    oneByOne.Add(member); // after this group, it finds the first one's row
                    continue;
                }
            }

            rows.Add(member);
        }

        rows = await ChargeQuotaAsync(connection, transaction, rows, oneByOne);
        if (rows.Count == 0)
        {
            return rows;
        }

        // UIDs in group order, one range per mailbox; one modseq per mailbox for the whole group.
        var next = new Dictionary<long, (long UidNext, long ModSeq)>();
        foreach (var member in rows)
        {
            var id = member.Delivery.Mailbox.Id;
            var (uidNext, modSeq) = next.TryGetValue(id, out var n) ? n : (boxes[id].UidNext, boxes[id].ModSeq + 1);
            member.Uid = (uint)uidNext;
            next[id] = (uidNext + 1, modSeq);
        }

        await using (var insert = new NpgsqlBatch(connection, transaction))
        {
            insert.BatchCommands.Add(Command("""
                UPDATE mailboxes b SET uidnext = c.uidnext, highestmodseq = c.modseq
                FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS c (id, uidnext, modseq) WHERE b.id = c.id
                """, next.Keys.ToArray(), next.Values.Select(v => v.UidNext).ToArray(), next.Values.Select(v => v.ModSeq).ToArray()));
            insert.BatchCommands.Add(Command("""
                INSERT INTO messages (mailbox_id, uid, base_name, file_name, size, crlf_size, internal_date, flags, keywords, modseq, pending,
                                      delivery_key, envelope, body, bodystructure, structure, search)
                SELECT r.mailbox_id, r.uid, r.base_name, r.file_name, r.size, r.crlf_size, r.internal_date, r.flags,
                       string_to_array(r.keywords, ' '), r.modseq, true, r.delivery_key, r.envelope, r.body, r.bodystructure, r.structure,
                       to_tsvector('simple', r.search)
                FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::timestamptz[], $8::integer[],
                            $9::text[], $10::bigint[], $11::text[], $12::bytea[], $13::bytea[], $14::bytea[], $15::bytea[], $16::text[])
                     AS r (mailbox_id, uid, base_name, file_name, size, crlf_size, internal_date, flags,
                           keywords, modseq, delivery_key, envelope, body, bodystructure, structure, search)
                """,
                rows.Select(m => m.Delivery.Mailbox.Id).ToArray(),
                rows.Select(m => (long)m.Uid).ToArray(),
                rows.Select(m => m.Delivery.Name.BaseName).ToArray(),
                rows.Select(m => MaildirFolder.TmpDirectory + "/" + Path.GetFileName(m.Delivery.File.TmpPath)).ToArray(),
                rows.Select(m => m.Delivery.Index.Size).ToArray(),
                rows.Select(m => m.Delivery.Index.CrlfSize).ToArray(),
                rows.Select(m => m.Delivery.InternalDate.UtcDateTime).ToArray(),
                rows.Select(m => (int)m.Delivery.Request.Flags).ToArray(),
                // IMAP keywords are atoms (RFC 3501 §9: flag-keyword = atom): a space cannot occur in one.
                rows.Select(m => string.Join(' ', m.Delivery.Request.Keywords)).ToArray(),
                rows.Select(m => next[m.Delivery.Mailbox.Id].ModSeq).ToArray(),
                rows.Select(m => m.Delivery.Request.DeliveryKey).ToArray(),
                rows.Select(m => m.Delivery.Index.Envelope).ToArray(),
                rows.Select(m => m.Delivery.Index.Body).ToArray(),
                rows.Select(m => m.Delivery.Index.BodyStructure).ToArray(),
                rows.Select(m => m.Delivery.Index.Structure).ToArray(),
                rows.Select(m => m.Delivery.Index.SearchText).ToArray()));
            insert.BatchCommands.Add(Command(
                "SELECT pg_notify('mailbox_changed', p) FROM unnest($1::text[]) AS p",
                new object?[] { next.Select(n => $"{n.Key}:exists:{n.Value.ModSeq}").ToArray() }));
            await insert.ExecuteNonQueryAsync(CancellationToken.None);
        }

        await transaction.CommitAsync(CancellationToken.None);
        return rows;
    }

    /// <summary>
    /// Charges each user's quota once for the group's messages. A lone message over quota is refused with the
    /// reason; a user whose several messages together do not fit has them committed one by one, so that exactly
    /// the ones that fit are delivered, as without a group.
    /// </summary>
    private static async Task<List<GroupMember>> ChargeQuotaAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<GroupMember> rows, List<GroupMember> oneByOne)
    {
        if (rows.Count == 0)
        {
            return rows;
        }

        var charges = rows.GroupBy(m => m.Delivery.Request.User.Id).Select(g => (User: g.Key, Bytes: g.Sum(m => m.Delivery.Index.Size), Count: (long)g.Count())).ToList();
        var users = charges.Select(c => c.User).ToArray();
        var charged = new HashSet<long>();
        await using (var quota = new NpgsqlBatch(connection, transaction))
        {
            quota.BatchCommands.Add(Command("INSERT INTO quota_usage (user_id) SELECT unnest($1::bigint[]) ORDER BY 1 ON CONFLICT DO NOTHING", users));
            quota.BatchCommands.Add(Command("""
                UPDATE quota_usage q SET bytes = q.bytes + c.bytes, messages = q.messages + c.n
                FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS c (user_id, bytes, n) JOIN users u ON u.address_id = c.user_id
                WHERE q.user_id = c.user_id
                  AND (u.quota_bytes IS NULL OR q.bytes + c.bytes <= u.quota_bytes)
                  AND (u.quota_messages IS NULL OR q.messages + c.n <= u.quota_messages)
                RETURNING q.user_id
                """, users, charges.Select(c => c.Bytes).ToArray(), charges.Select(c => c.Count).ToArray()));
            await using var reader = await quota.ExecuteReaderAsync(CancellationToken.None);
            if (reader.FieldCount == 0)
            {
                await reader.NextResultAsync(); // past the INSERT, to the UPDATE's RETURNING
            }

            while (await reader.ReadAsync())
            {
                charged.Add(reader.GetInt64(0));
            }
        }

        var accepted = new List<GroupMember>();
        foreach (var group in rows.GroupBy(m => m.Delivery.Request.User.Id))
        {
            if (charged.Contains(group.Key))
            {
                accepted.AddRange(group);
            }
            else if (group.Count() > 1)
            {
                oneByOne.AddRange(group);
            }
            else
            {
                var member = group.First();
                var reason = await QuotaReasonAsync(connection, transaction, group.Key, member.Delivery.Index.Size, CancellationToken.None);
                await member.Delivery.File.DisposeAsync();
                member.Done.TrySetResult(DeliveryResult.OverQuota(reason));
            }
        }

        return accepted;
    }

    /// <summary>The file part after the commit: moves, directory fsyncs, uidlist appends (each once per folder).</summary>
    private async Task PublishGroupAsync(List<GroupMember> committed)
    {
        try
        {
            await InjectFaultAsync(DeliveryStep.Committed);
        }
        catch
        {
            foreach (var member in committed)
            {
                member.Delivery.File.KeepForRecovery();
            }

            throw;
        }

        var folders = committed.GroupBy(m => m.Delivery.Folder.Path, StringComparer.Ordinal).ToList();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = FolderParallelism };
        await Parallel.ForEachAsync(folders, parallel, async (folder, cancellationToken) =>
        {
            var directories = new HashSet<string>(StringComparer.Ordinal);
            foreach (var member in folder)
            {
                var d = member.Delivery;
                try
                {
                    member.Entry = await d.File.PublishAsync(d.Request.Flags, d.KeywordIndexes, syncDirectory: false, cancellationToken);
                    directories.Add(Path.GetDirectoryName(member.Entry.Path)!);
                }
                catch (Exception e)
                {
                    // The index already holds the message (pending): recovery moves it into place with its UID.
                    d.File.KeepForRecovery();
                    member.Done.TrySetException(e);
                }
            }

            // One fsync makes every rename before it durable.
            foreach (var directory in directories)
            {
                FileSystemSync.FsyncDirectory(directory);
            }
        });

        await InjectFaultAsync(DeliveryStep.Published);
        await Parallel.ForEachAsync(folders, parallel, async (folder, cancellationToken) =>
        {
            var records = folder.Where(m => m.Entry is not null).Select(m => new UidListRecord(m.Uid, m.Entry!.BaseName)).ToList();
            await AppendToUidListAsync(folder.First().Delivery.Folder, records, cancellationToken);
        });
        await InjectFaultAsync(DeliveryStep.Listed);
    }

    /// <summary>The rows are no longer pending; the users' locks go in the same round trip.</summary>
    private static async Task FinishGroupAsync(NpgsqlConnection connection, List<GroupMember> committed, long[] userKeys)
    {
        var published = committed.Where(m => m.Entry is not null).ToList();
        await using var finish = new NpgsqlBatch(connection);
        // Committed without waiting for the WAL flush: if this is lost, recovery finds the rows pending with their
        // files in new/ and finishes them with the same UIDs.
        finish.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        finish.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO OFF"));
        finish.BatchCommands.Add(Command("""
            UPDATE messages m SET pending = false, base_name = r.base_name, file_name = r.file_name
            FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS r (mailbox_id, uid, base_name, file_name)
            WHERE m.mailbox_id = r.mailbox_id AND m.uid = r.uid
            """,
            published.Select(m => m.Delivery.Mailbox.Id).ToArray(),
            published.Select(m => (long)m.Uid).ToArray(),
            published.Select(m => m.Entry!.BaseName).ToArray(),
            published.Select(m => RelativeName(m.Entry!)).ToArray()));
        finish.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        finish.BatchCommands.Add(Command("SELECT pg_advisory_unlock_shared(k) FROM unnest($1::bigint[]) AS k", userKeys));
        await finish.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private async Task AppendToUidListAsync(MaildirFolder folder, IReadOnlyCollection<UidListRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }

        var gate = FolderGate(folder.Path);
        await gate.WaitAsync(cancellationToken);
        MaildirResult<bool> added;
        try
        {
            using var uidLock = await UidListLock.AcquireAsync(folder.Path, _options.Locks, _time, cancellationToken);
            added = await UidListFile.AppendAsync(uidLock, records, cancellationToken);
        }
        finally
        {
            gate.Release();
        }

        if (!added.Succeeded && added.Failure!.Kind is MaildirFailureKind.NotFound or MaildirFailureKind.InvalidFormat)
        {
            // A missing or damaged uidlist: the next reconstruct rebuilds it from the index's UIDs and the files.
            _logger.LogWarningUidList(folder.Path, added.Failure.Reason);
        }
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }
}
