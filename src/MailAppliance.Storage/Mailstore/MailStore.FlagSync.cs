using Dapper;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Durability;
using MailAppliance.Storage.Maildir;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// The maildir side of STORE (migration 0021): file names catch up with flags already committed in the index.
/// </summary>
/// <remarks>
/// Why a committed flag cannot be lost: the index row and the <c>maildir_flag_sync</c> mark are written in one
/// transaction, before the client hears OK. The renames come after; the folder is then synced, and only then is
/// the mark removed (with the rows' new file names). A crash anywhere leaves the mark, and the renames are done
/// again from the rows: by start-up recovery (<see cref="RecoverAsync"/>), by the next STORE's sync of that
/// mailbox, by the periodic sweep, and by reconstruct before it reads the folder (reconstruct takes flags from
/// file names, so it must never see them lag). Readers meanwhile find a file whose name lags behind its row by the
/// row's file name, or by the name its flags give, before they search the folder.
/// </remarks>
public sealed partial class MailStore
{
    // Rows per batch: a batch holds its rows while their files are renamed, and a STORE that reaches one waits for it.
    private const int FlagSyncBatch = 100;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, Task> _flagSyncs = new();

    /// <summary>Tests leave a STORE's renames undone with this, as a crash right after its commit would.</summary>
    internal bool FlagSyncSuspended { get; set; }

    /// <summary>Starts the renames of a mailbox in the background, unless they are already running (then they run again after).</summary>
    private void ScheduleFlagSync(long mailboxId)
    {
        if (FlagSyncSuspended)
        {
            return;
        }

        lock (_flagSyncs)
        {
            _flagSyncs[mailboxId] = _flagSyncs.TryGetValue(mailboxId, out var running)
                ? running.ContinueWith(_ => SyncQuietlyAsync(mailboxId), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap()
                : Task.Run(() => SyncQuietlyAsync(mailboxId));
        }
    }

    /// <summary>Waits for the background renames started so far (tests; orderly shutdown).</summary>
    public Task FlagSyncsIdleAsync()
    {
        lock (_flagSyncs)
        {
            return Task.WhenAll(_flagSyncs.Values);
        }
    }

    private async Task SyncQuietlyAsync(long mailboxId)
    {
        try
        {
            await SyncMaildirFlagsAsync(mailboxId, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The mark stays: the sweep or the next start tries again. Readers find the files meanwhile.
            _logger.LogWarning(e, "Renaming maildir files after a flag change failed for mailbox {MailboxId}; will retry", mailboxId);
        }
    }

    /// <summary>Brings the file names of every marked mailbox up to date (start-up, and the periodic sweep). Returns how many mailboxes were done.</summary>
    public async Task<int> SyncAllMaildirFlagsAsync(CancellationToken cancellationToken)
    {
        List<long> marked;
        await using (var connection = await _db.OpenConnectionAsync(cancellationToken))
        {
            marked = (await connection.QueryAsync<long>(new CommandDefinition("SELECT mailbox_id FROM maildir_flag_sync", cancellationToken: cancellationToken))).ToList();
        }

        foreach (var id in marked)
        {
            await SyncMaildirFlagsAsync(id, cancellationToken);
        }

        return marked.Count;
    }

    /// <summary>Renames the files of one mailbox until its mark is gone (a STORE meanwhile adds a round).</summary>
    public async Task SyncMaildirFlagsAsync(long mailboxId, CancellationToken cancellationToken)
    {
        await using var connection = await _sessionDb.OpenConnectionAsync(cancellationToken);
        for (var round = 0; round < 100; round++)
        {
            var mark = await connection.QuerySingleOrDefaultAsync<(long From, long To, long UserId, string Display, string Name, long UidValidity, long UidNext, long HighestModSeq)?>(new CommandDefinition("""
                SELECT s.from_modseq, s.to_modseq, b.user_id, a.display, b.name, b.uidvalidity, b.uidnext, b.highestmodseq
                FROM maildir_flag_sync s JOIN mailboxes b ON b.id = s.mailbox_id JOIN addresses a ON a.id = b.user_id
                WHERE s.mailbox_id = @id
                """, new { id = mailboxId }, cancellationToken: cancellationToken));
            if (mark is not { } m || !MailAddress.TryParse(m.Display, out var address, out _))
            {
                return;
            }

            var user = new MailUser(m.UserId, address!);
            var mailbox = ToInfo(RootOf(user), new MailboxRow { Id = mailboxId, UserId = m.UserId, Name = m.Name, UidValidity = m.UidValidity, UidNext = m.UidNext, HighestModSeq = m.HighestModSeq });
            var done = false;
            await WithUserLockAsync(connection, user, exclusive: false, async () =>
                done = await ApplyFlagSyncAsync(connection, mailbox, m.From, m.To, waitForRows: false, cancellationToken));
            if (done)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One round for a mailbox whose mark reads <paramref name="from"/>..<paramref name="to"/>: every row changed
    /// since <paramref name="from"/> gets the file name its flags give; the folder is synced; then, in one
    /// transaction, the rows learn their new names and the mark goes (or, if a STORE came meanwhile, starts after
    /// <paramref name="to"/>). The caller holds the user's lock (shared, or exclusive for reconstruct). True when
    /// this round is over: the mark is gone, or it stays for rows another transaction held (see below).
    /// </summary>
    /// <remarks>
    /// Each batch locks its rows before renaming their files and records the new names before it lets go, so a
    /// file and its row's name never disagree for long. Without <paramref name="waitForRows"/>, rows another
    /// transaction holds are skipped, not waited for: a STORE locks its rows in another order, and the two
    /// deadlocked (PostgreSQL broke the tie after 1 s, sometimes by failing the STORE). The mark then stays as it
    /// is: the STORE that held them starts the next round when it commits, and the periodic sweep runs any other.
    /// Reconstruct waits (it holds the user's lock exclusively, so no STORE can hold a row) and must not end early.
    /// </remarks>
    private async Task<bool> ApplyFlagSyncAsync(NpgsqlConnection connection, MailboxInfo mailbox, long from, long to, bool waitForRows, CancellationToken cancellationToken)
    {
        var folder = new MaildirFolder(mailbox.FolderPath);
        var keywordFile = KeywordsFile.Read(folder.Path);
        var any = false;
        var skipped = false;

        // The round's rows, read once (each batch re-reading "changed since, after the last UID" walked every changed
        // row again); a STORE that commits meanwhile moves the mark's end, and the next round sees its rows.
        var changedUids = new List<long>();
        await using (var command = new NpgsqlCommand(
            "SELECT uid FROM messages WHERE mailbox_id = $1 AND modseq >= $2 AND NOT pending ORDER BY uid", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                changedUids.Add(reader.GetInt64(0));
            }
        }

        foreach (var wanted in changedUids.Chunk(FlagSyncBatch))
        {
            await using var batch = await connection.BeginTransactionAsync(cancellationToken);

            // A batch's names need not be durable at its commit (see below): only the mark's removal must be.
            await connection.ExecuteAsync(new CommandDefinition("SET LOCAL synchronous_commit TO OFF", transaction: batch, cancellationToken: cancellationToken));
            var rows = new List<(long Uid, string FileName, MaildirFlags Flags, string[] Keywords, long Size, DateTime Date)>();
            await using (var command = new NpgsqlCommand(
                "SELECT uid, file_name, flags, keywords, size, internal_date FROM messages WHERE mailbox_id = $1 AND uid = ANY($2) AND NOT pending ORDER BY uid FOR NO KEY UPDATE"
                + (waitForRows ? "" : " SKIP LOCKED"), connection, batch))
            {
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = wanted });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add((reader.GetInt64(0), reader.GetString(1), (MaildirFlags)reader.GetInt32(2), reader.GetFieldValue<string[]>(3), reader.GetInt64(4), reader.GetDateTime(5)));
                }
            }

            // Held by another transaction (or expunged meanwhile): the mark stays for a later round.
            skipped |= rows.Count < wanted.Length;
            var renamed = new List<(long Uid, string Old, string New)>();
            foreach (var row in rows)
            {
                var indexes = new List<int>();
                foreach (var keyword in row.Keywords)
                {
                    var index = keywordFile.IndexOf(keyword);
                    if (index < 0)
                    {
                        // Maildir file names hold at most 26 keywords (a-z); one that does not fit lives in the index only.
                        var added = await KeywordsFile.GetOrAddAsync(folder.Path, keyword, _options.Locks, _time, cancellationToken);
                        index = added.Succeeded ? added.Value : -1;
                        keywordFile = KeywordsFile.Read(folder.Path);
                    }

                    if (index >= 0)
                    {
                        indexes.Add(index);
                    }
                }

                var parsed = MaildirFileName.Parse(Path.GetFileName(row.FileName));
                if (!parsed.Succeeded || row.FileName.StartsWith(MaildirFolder.TmpDirectory + "/", StringComparison.Ordinal))
                {
                    continue;
                }

                var isNew = row.FileName.StartsWith(MaildirFolder.NewDirectory + "/", StringComparison.Ordinal);
                // Already named as its flags say (a new/ file without flags stays where delivery put it), if the file
                // is there: a name is recorded before the folder is synced, so after a power loss the row may name a
                // rename the disk lost. Then SetFlags finds the file by its base name and renames it again.
                if ((isNew ? row.Flags == MaildirFlags.None && indexes.Count == 0 : parsed.Value.Equals(parsed.Value.WithFlags(row.Flags, indexes)))
                    && File.Exists(Path.Combine(folder.Path, row.FileName)))
                {
                    continue;
                }

                // No stat first: the rename itself tells whether the file is where the row says (SetFlags then looks for it).
                var entry = new MaildirEntry(Path.Combine(folder.Path, row.FileName), parsed.Value, isNew, row.Size, new DateTimeOffset(DateTime.SpecifyKind(row.Date, DateTimeKind.Utc)));
                var result = folder.SetFlags(entry, row.Flags, indexes);
                if (result.Succeeded)
                {
                    renamed.Add((row.Uid, row.FileName, RelativeName(result.Value)));
                }
            }

            if (renamed.Count > 0)
            {
                // Not yet durable, and need not be: the mark stays until the folder is synced below, and a name lost
                // to a crash is found again by base name when the renames are redone.
                any = true;
                await connection.ExecuteAsync(new CommandDefinition("""
                    UPDATE messages m SET file_name = u.new FROM unnest(@uids, @old, @new) AS u(uid, old, new)
                    WHERE m.mailbox_id = @id AND m.uid = u.uid AND m.file_name = u.old
                    """, new { id = mailbox.Id, uids = renamed.Select(r => r.Uid).ToArray(), old = renamed.Select(r => r.Old).ToArray(), @new = renamed.Select(r => r.New).ToArray() },
                    batch, cancellationToken: cancellationToken));
            }

            await batch.CommitAsync(cancellationToken);
        }

        if (any)
        {
            // The renames are on disk before the mark goes (a rename is a change of the folder's cur/ directory).
            if (_barrier is null)
            {
                FileSystemSync.FsyncDirectory(folder.CurPath);
                FileSystemSync.FsyncDirectory(folder.NewPath);
            }
            else
            {
                await _barrier.SyncAsync(folder.CurPath);
            }
        }

        if (skipped)
        {
            return true;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM maildir_flag_sync WHERE mailbox_id = @id AND to_modseq = @to", new { id = mailbox.Id, to }, transaction, cancellationToken: cancellationToken));
        if (removed == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE maildir_flag_sync SET from_modseq = @next WHERE mailbox_id = @id", new { id = mailbox.Id, next = to + 1 }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return removed > 0;
    }
}
