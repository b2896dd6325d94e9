using MailAppliance.Storage.Durability;
using Dapper;
using MailAppliance.Storage.Maildir;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// Group commit of deliveries. Each caller writes, fsyncs and parses its own message in <c>tmp/</c>; sealed
/// deliveries then queue here and are committed in groups: one PostgreSQL transaction for the whole
/// group (the mailboxes locked in id order, delivery keys looked up together, one quota charge per user, one UID
/// range per mailbox, one multi-row insert, one NOTIFY per mailbox: one WAL flush), then the files are moved with
/// one directory fsync per directory, one dovecot-uidlist append per folder, and one final update. Deliveries that
/// arrive while a group commits form the next group, so the group grows with the load and a lone delivery waits
/// for nobody. Two stages overlap: while one group moves and lists its files, the next commits its rows. The
/// crash-safety steps and their order are those of a single delivery (see
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
    private Task _filesStage = Task.CompletedTask;

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
        NoteDeliveryActivity();
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

            // Two stages: while this group's files are moved and listed, the next group commits its rows. The file
            // stages run in group order, so a folder's uidlist always grows by appending.
            var committed = await CommitIndexSafelyAsync(group);
            var previous = _filesStage;
            _filesStage = Task.Run(async () =>
            {
                await previous;
                await FinishFilesSafelyAsync(committed);
            });

            // At most one file stage waits behind the running one.
            await previous;
        }
    }

    /// <summary>Commits a group from start to end, not pipelined (members that must go alone).</summary>
    private async Task CommitGroupSafelyAsync(IReadOnlyList<GroupMember> group) => await FinishFilesSafelyAsync(await CommitIndexSafelyAsync(group));

    /// <summary>A group whose rows are committed: its connection still holds the users' shared locks.</summary>
    private sealed record CommittedGroup(IReadOnlyList<GroupMember> Group, NpgsqlConnection Connection, long[] UserKeys, List<GroupMember> Committed, List<GroupMember> OneByOne);

    /// <summary>Stage 1; whatever fails reaches every member not yet answered (none is left waiting).</summary>
    private async Task<CommittedGroup?> CommitIndexSafelyAsync(IReadOnlyList<GroupMember> group)
    {
        NpgsqlConnection? connection = null;
        var userKeys = group.Select(m => UserLockKey(m.Delivery.Request.User.Id)).Distinct().Order().ToArray();
        try
        {
            connection = await _sessionDb.OpenConnectionAsync(CancellationToken.None);
            var oneByOne = new List<GroupMember>();
            List<GroupMember> committed;
            try
            {
                committed = await CommitRowsAsync(connection, group, userKeys, oneByOne);
            }
            catch (PostgresException) when (group.Count > 1)
            {
                // A conflict with another process (a deadlock, a key inserted meanwhile): each on its own.
                await connection.ExecuteAsync("ROLLBACK");
                committed = [];
                oneByOne.Clear();
                oneByOne.AddRange(group.Where(m => !m.Done.Task.IsCompleted));
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && group[0].Delivery.Request.DeliveryKey is { } key)
            {
                // The same delivery, retried while the first attempt was still running: that one wins.
                await connection.ExecuteAsync("ROLLBACK");
                var member = group[0];
                var uid = (uint?)await connection.ExecuteScalarAsync<long?>(
                    "SELECT uid FROM message_delivery_keys WHERE mailbox_id = @id AND delivery_key = @key", new { id = member.Delivery.Mailbox.Id, key }) ?? 0;
                await member.Delivery.File.DisposeAsync();
                member.Done.TrySetResult(new DeliveryResult(DeliveryStatus.AlreadyDelivered, member.Delivery.Mailbox.Id, member.Delivery.Mailbox.UidValidity, uid));
                committed = [];
            }

            return new CommittedGroup(group, connection, userKeys, committed, oneByOne);
        }
        catch (Exception e)
        {
            if (connection is not null)
            {
                await ReleaseAsync(connection, userKeys, rollback: true);
            }

            foreach (var member in group)
            {
                member.Done.TrySetException(e);
            }

            return null;
        }
    }

    /// <summary>Stage 2: files, uidlists, the final update, the answers; then the members that must go alone.</summary>
    private async Task FinishFilesSafelyAsync(CommittedGroup? group)
    {
        if (group is null)
        {
            return;
        }

        var released = false;
        Exception? failure = null;
        try
        {
            if (group.Committed.Count > 0)
            {
                await PublishGroupAsync(group.Committed);
                await FinishGroupAsync(group.Connection, group.Committed, group.UserKeys);
                released = true;
                foreach (var member in group.Committed)
                {
                    member.Done.TrySetResult(new DeliveryResult(DeliveryStatus.Delivered, member.Delivery.Mailbox.Id, member.UidValidity, member.Uid));
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
        }

        // Released before anyone hears of a failure: a caller's next step may be a reconstruct, which waits for it.
        await ReleaseAsync(group.Connection, released ? [] : group.UserKeys, rollback: !released);
        if (failure is not null)
        {
            foreach (var member in group.Group)
            {
                member.Done.TrySetException(failure);
            }
        }

        foreach (var member in group.OneByOne.Where(m => !m.Done.Task.IsCompleted))
        {
            await CommitGroupSafelyAsync([member]);
        }
    }

    /// <summary>Ends a group's session: a half-done transaction rolled back, the users' locks released.</summary>
    private static async Task ReleaseAsync(NpgsqlConnection connection, long[] userKeys, bool rollback)
    {
        try
        {
            if (rollback)
            {
                await connection.ExecuteAsync("ROLLBACK"); // only a warning when no transaction is open
            }

            if (userKeys.Length > 0)
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock_shared(k) FROM unnest(@keys) AS k", new { keys = userKeys });
            }
        }
        catch (NpgsqlException)
        {
            // A broken connection: its backend ends, and with it the session's locks.
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// The index part of a group, in one transaction of two round trips: returns the members whose rows are now
    /// committed (pending), answers those already delivered, over quota or aimed at a stale mailbox, and puts into
    /// <paramref name="oneByOne"/> those that must be committed alone (a user whose quota the group as a whole
    /// would exceed, a delivery key twice in one group).
    /// </summary>
    private async Task<List<GroupMember>> CommitRowsAsync(NpgsqlConnection connection, IReadOnlyList<GroupMember> group, long[] userKeys, List<GroupMember> oneByOne)
    {
        // A delivery key twice in one group: the second waits for the first one's row and finds it.
        var candidates = new List<GroupMember>();
        var keysInGroup = new HashSet<(long, string)>();
        foreach (var member in group)
        {
            if (member.Delivery.Request.DeliveryKey is { } key && !keysInGroup.Add((member.Delivery.Mailbox.Id, key)))
            {
                oneByOne.Add(member);
                continue;
            }

            candidates.Add(member);
        }

        var mailboxIds = candidates.Select(m => m.Delivery.Mailbox.Id).Distinct().Order().ToArray();
        var keyed = candidates.Where(m => m.Delivery.Request.DeliveryKey is not null).ToList();
        var charges = candidates.GroupBy(m => m.Delivery.Request.User.Id).Select(g => (User: g.Key, Bytes: g.Sum(m => m.Delivery.Index.Size), Count: (long)g.Count())).ToList();
        var users = charges.Select(c => c.User).ToArray();

        var boxes = new Dictionary<long, (long UserId, string Name, uint UidValidity, long UidNext, long ModSeq)>();
        var delivered = new Dictionary<(long MailboxId, string Key), uint>();
        var charged = new HashSet<long>();
        await using (var first = new NpgsqlBatch(connection))
        {
            // Reconstruct takes a user's lock exclusively: it must not run between our commit and the last step.
            first.BatchCommands.Add(Command("SELECT pg_advisory_lock_shared(k) FROM (SELECT unnest($1::bigint[]) AS k ORDER BY 1) s", userKeys));
            first.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            // Locking the mailbox rows first (in id order, as every group does) serialises groups of several
            // processes per mailbox; a key committed by another process before we got the lock is then visible.
            first.BatchCommands.Add(Command(
                "SELECT id, user_id, name, uidvalidity, uidnext, highestmodseq FROM mailboxes WHERE id = ANY($1) ORDER BY id FOR UPDATE", mailboxIds));
            first.BatchCommands.Add(Command("""
                SELECT d.mailbox_id, d.delivery_key, d.uid FROM message_delivery_keys d
                JOIN unnest($1::bigint[], $2::text[]) AS k (mailbox_id, delivery_key) ON d.mailbox_id = k.mailbox_id AND d.delivery_key = k.delivery_key
                """, keyed.Select(m => m.Delivery.Mailbox.Id).ToArray(), keyed.Select(m => m.Delivery.Request.DeliveryKey!).ToArray()));
            // Each user's quota charged once for the group; what is not inserted after all is given back below.
            first.BatchCommands.Add(Command("INSERT INTO quota_usage (user_id) SELECT unnest($1::bigint[]) ORDER BY 1 ON CONFLICT DO NOTHING", users));
            first.BatchCommands.Add(Command("""
                UPDATE quota_usage q SET bytes = q.bytes + c.bytes, messages = q.messages + c.n
                FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS c (user_id, bytes, n) JOIN users u ON u.address_id = c.user_id
                WHERE q.user_id = c.user_id
                  AND (u.quota_bytes IS NULL OR q.bytes + c.bytes <= u.quota_bytes)
                  AND (u.quota_messages IS NULL OR q.messages + c.n <= u.quota_messages)
                RETURNING q.user_id
                """, users, charges.Select(c => c.Bytes).ToArray(), charges.Select(c => c.Count).ToArray()));
            // Result sets are told apart by their first column (statements without rows may or may not show one).
            await using var reader = await first.ExecuteReaderAsync(CancellationToken.None);
            do
            {
                var kind = reader.FieldCount == 0 ? "" : reader.GetName(0);
                while (await reader.ReadAsync())
                {
                    switch (kind)
                    {
                        case "id":
                            boxes[reader.GetInt64(0)] = (reader.GetInt64(1), reader.GetString(2), (uint)reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
                            break;
                        case "mailbox_id":
                            delivered[(reader.GetInt64(0), reader.GetString(1))] = (uint)reader.GetInt64(2);
                            break;
                        case "user_id":
                            charged.Add(reader.GetInt64(0));
                            break;
                    }
                }
            }
            while (await reader.NextResultAsync());
        }

        var rows = new List<GroupMember>();
        var overQuota = new List<GroupMember>();
        foreach (var member in candidates)
        {
            var d = member.Delivery;
            if (!boxes.TryGetValue(d.Mailbox.Id, out var box) || box.UserId != d.Request.User.Id || box.Name != d.Mailbox.Name.Name)
            {
                member.Done.TrySetResult(null);
                continue;
            }

            member.UidValidity = box.UidValidity;
            if (d.Request.DeliveryKey is { } key && delivered.TryGetValue((d.Mailbox.Id, key), out var earlier))
            {
                await d.File.DisposeAsync();
                member.Done.TrySetResult(new DeliveryResult(DeliveryStatus.AlreadyDelivered, d.Mailbox.Id, box.UidValidity, earlier));
                continue;
            }

            (charged.Contains(d.Request.User.Id) ? rows : overQuota).Add(member);
        }

        foreach (var user in overQuota.GroupBy(m => m.Delivery.Request.User.Id))
        {
            if (user.Count() > 1 || candidates.Count(m => m.Delivery.Request.User.Id == user.Key) > 1)
            {
                // Several together do not fit (or the charge counted one that was not delivered): each on its own,
                // so that exactly those that fit are delivered.
                oneByOne.AddRange(user);
                continue;
            }

            var member = user.First();
            var reason = await QuotaReasonAsync(connection, null, user.Key, member.Delivery.Index.Size, CancellationToken.None);
            await member.Delivery.File.DisposeAsync();
            member.Done.TrySetResult(DeliveryResult.OverQuota(reason));
        }

        if (rows.Count == 0)
        {
            await connection.ExecuteAsync("ROLLBACK");
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

        var refunds = candidates.Where(m => charged.Contains(m.Delivery.Request.User.Id) && !rows.Contains(m))
            .GroupBy(m => m.Delivery.Request.User.Id).Select(g => (User: g.Key, Bytes: g.Sum(m => m.Delivery.Index.Size), Count: (long)g.Count())).ToList();
        await using (var insert = new NpgsqlBatch(connection))
        {
            if (refunds.Count > 0)
            {
                insert.BatchCommands.Add(Command("""
                    UPDATE quota_usage q SET bytes = q.bytes - c.bytes, messages = q.messages - c.n
                    FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS c (user_id, bytes, n) WHERE q.user_id = c.user_id
                    """, refunds.Select(r => r.User).ToArray(), refunds.Select(r => r.Bytes).ToArray(), refunds.Select(r => r.Count).ToArray()));
            }

            insert.BatchCommands.Add(Command("""
                UPDATE mailboxes b SET uidnext = c.uidnext, highestmodseq = c.modseq
                FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS c (id, uidnext, modseq) WHERE b.id = c.id
                """, next.Keys.ToArray(), next.Values.Select(v => v.UidNext).ToArray(), next.Values.Select(v => v.ModSeq).ToArray()));
            insert.BatchCommands.Add(Command("""
                INSERT INTO messages (mailbox_id, uid, base_name, file_name, size, crlf_size, internal_date, flags, keywords, modseq, pending)
                SELECT r.mailbox_id, r.uid, r.base_name, r.file_name, r.size, r.crlf_size, r.internal_date, r.flags,
                       string_to_array(r.keywords, ' '), r.modseq, true
                FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::timestamptz[], $8::integer[],
                            $9::text[], $10::bigint[])
                     AS r (mailbox_id, uid, base_name, file_name, size, crlf_size, internal_date, flags, keywords, modseq)
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
                rows.Select(m => next[m.Delivery.Mailbox.Id].ModSeq).ToArray()));
            var keyedRows = rows.Where(m => m.Delivery.Request.DeliveryKey is not null).ToList();
            if (keyedRows.Count > 0)
            {
                // Unique per mailbox: a retried delivery that races its first attempt fails here (handled above).
                insert.BatchCommands.Add(Command(
                    "INSERT INTO message_delivery_keys (mailbox_id, delivery_key, uid) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[])",
                    keyedRows.Select(m => m.Delivery.Mailbox.Id).ToArray(), keyedRows.Select(m => m.Delivery.Request.DeliveryKey!).ToArray(),
                    keyedRows.Select(m => (long)m.Uid).ToArray()));
            }

            insert.BatchCommands.Add(Command("""
                INSERT INTO message_views (mailbox_id, uid, envelope, body, bodystructure, structure, sort_keys)
                SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[], $7::bytea[])
                """,
                rows.Select(m => m.Delivery.Mailbox.Id).ToArray(),
                rows.Select(m => (long)m.Uid).ToArray(),
                rows.Select(m => m.Delivery.Index.Envelope).ToArray(),
                rows.Select(m => m.Delivery.Index.Body).ToArray(),
                rows.Select(m => m.Delivery.Index.BodyStructure).ToArray(),
                rows.Select(m => m.Delivery.Index.Structure).ToArray(),
                rows.Select(m => m.Delivery.Index.SortKeys).ToArray()));

            // The search text waits for the indexer (migration 0020: a trigram index is too dear for this transaction).
            insert.BatchCommands.Add(Command("""
                INSERT INTO search_pending (mailbox_id, uid, header, mime, addresses, body, complete)
                SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[])
                """,
                rows.Select(m => m.Delivery.Mailbox.Id).ToArray(),
                rows.Select(m => (long)m.Uid).ToArray(),
                rows.Select(m => m.Delivery.Index.Search.Header).ToArray(),
                rows.Select(m => m.Delivery.Index.Search.Mime).ToArray(),
                rows.Select(m => m.Delivery.Index.Search.Addresses).ToArray(),
                rows.Select(m => m.Delivery.Index.Search.Body).ToArray(),
                rows.Select(m => m.Delivery.Index.Search.Complete).ToArray()));
            insert.BatchCommands.Add(Command(
                "SELECT pg_notify('mailbox_changed', p) FROM unnest($1::text[]) AS p",
                new object?[] { next.Select(n => $"{n.Key}:exists:{n.Value.ModSeq}").ToArray() }));
            insert.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            await insert.ExecuteNonQueryAsync(CancellationToken.None);
        }

        return rows;
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

            // One fsync makes every rename before it durable (with a barrier: one flush for every folder, below).
            if (_barrier is null)
            {
                foreach (var directory in directories)
                {
                    FileSystemSync.FsyncDirectory(directory);
                }
            }
        });

        if (_barrier is not null)
        {
            await _barrier.SyncAsync(folders.Select(f => f.Key));
        }

        await InjectFaultAsync(DeliveryStep.Published);
        await Parallel.ForEachAsync(folders, parallel, async (folder, cancellationToken) =>
        {
            var records = folder.Where(m => m.Entry is not null).Select(m => new UidListRecord(m.Uid, m.Entry!.BaseName)).ToList();
            await AppendToUidListAsync(folder.First().Delivery.Folder, records, cancellationToken);
        });
        if (_barrier is not null)
        {
            // The appended uidlist lines, durable before their rows stop being pending.
            await _barrier.SyncAsync(folders.Select(f => f.Key));
        }

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
            added = await UidListFile.AppendAsync(uidLock, records, flush: _barrier is null, cancellationToken);
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
