using System.Buffers;
using Dapper;
using MailAppliance.Core.Text;
using MailAppliance.Storage.Maildir;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

public sealed partial class MailStore
{
    /// <summary>
    /// Delivers one message into a user's mailbox as a transaction that any crash leaves recoverable:
    /// <list type="number">
    /// <item>the bytes stream into <c>tmp/</c> (parsed on the way for the index) and are fsync'd;</item>
    /// <item>one PostgreSQL transaction checks the delivery key (a retry is recognised), charges the quota exactly,
    /// allocates the UID and inserts the row marked pending, then NOTIFYs;</item>
    /// <item>the file moves into <c>new/</c> (directory fsync'd), the uidlist gets its line, the row is no longer
    /// pending.</item>
    /// </list>
    /// A crash before 2 leaves only a tmp file (removed later; the sender's spool still has the message). A crash
    /// after 2 leaves a pending row that recovery finishes with the same UID, and a retried delivery with the same
    /// key is answered <see cref="DeliveryStatus.AlreadyDelivered"/>: delivered exactly once.
    /// </summary>
    public async Task<DeliveryResult> DeliverAsync(DeliveryRequest request, Stream content, CancellationToken cancellationToken)
    {
        var mailbox = await EnsureMailboxAsync(request.User, request.Mailbox, cancellationToken);
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock_shared(@key)", new { key = UserLockKey(request.User.Id) }, cancellationToken: cancellationToken));
        try
        {
            if (request.DeliveryKey is { } key && await FindDeliveredAsync(connection, mailbox.Id, key, cancellationToken) is { } earlier)
            {
                return new DeliveryResult(DeliveryStatus.AlreadyDelivered, mailbox.Id, mailbox.UidValidity, earlier);
            }

            var folder = new MaildirFolder(mailbox.FolderPath);
            var keywordIndexes = await KeywordIndexesAsync(folder, request.Keywords, cancellationToken);
            var delivery = folder.BeginDelivery(_names);
            DeliveryResult committed;
            MaildirFileName sealedName;
            try
            {
                var indexer = await WriteAsync(delivery, content, cancellationToken);
                sealedName = await delivery.SealAsync(request.InternalDate ?? _time.GetUtcNow(), cancellationToken);
                IndexedMessage index;
                await using (var stored = new FileStream(delivery.TmpPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                {
                    index = indexer.Complete(stored, _options.MaxSearchTextBytes);
                }

                var internalDate = new DateTimeOffset(File.GetLastWriteTimeUtc(delivery.TmpPath), TimeSpan.Zero);
                await InjectFaultAsync(DeliveryStep.Sealed);
                var outcome = await CommitRowAsync(connection, request, mailbox, sealedName, Path.GetFileName(delivery.TmpPath), index, internalDate, cancellationToken);
                if (outcome.Status != DeliveryStatus.Delivered)
                {
                    await delivery.DisposeAsync();
                    return outcome;
                }

                committed = outcome;
            }
            catch
            {
                await delivery.DisposeAsync();
                throw;
            }

            MaildirEntry entry;
            try
            {
                await InjectFaultAsync(DeliveryStep.Committed);
                entry = await delivery.PublishAsync(request.Flags, keywordIndexes, cancellationToken);
            }
            catch
            {
                // The index already holds the message (pending): recovery moves it into place with its UID.
                delivery.KeepForRecovery();
                throw;
            }

            await InjectFaultAsync(DeliveryStep.Published);
            await AppendToUidListAsync(folder, new UidListRecord(committed.Uid, entry.BaseName), cancellationToken);
            await InjectFaultAsync(DeliveryStep.Listed);
            // Committed without waiting for the WAL flush: if this is lost, recovery finds the row pending with its
            // file in new/ and finishes it with the same UID. One fsync fewer per delivery.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                BEGIN;
                SET LOCAL synchronous_commit TO OFF;
                UPDATE messages SET pending = false, base_name = @baseName, file_name = @file WHERE mailbox_id = @id AND uid = @uid;
                COMMIT;
                """,
                new { id = mailbox.Id, uid = (long)committed.Uid, baseName = entry.BaseName, file = RelativeName(entry) }, cancellationToken: cancellationToken));
            return committed;
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock_shared(@key)", new { key = UserLockKey(request.User.Id) }, cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>The mailbox, created (on disk and in the index) when the user has none of that name.</summary>
    public async Task<MailboxInfo> EnsureMailboxAsync(MailUser user, MailboxName name, CancellationToken cancellationToken)
    {
        if (await FindMailboxAsync(user, name, cancellationToken) is { } existing)
        {
            return existing;
        }

        return await CreateMailboxCoreAsync(user, name, failIfExists: false, cancellationToken);
    }

    private async Task<MailboxInfo> CreateMailboxCoreAsync(MailUser user, MailboxName name, bool failIfExists, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = UserLockKey(user.Id) }, cancellationToken: cancellationToken));
        try
        {
            var root = RootOf(user);
            var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM mailboxes WHERE user_id = @user AND name = @name)", new { user = user.Id, name = name.Name }, cancellationToken: cancellationToken));
            if (exists && failIfExists)
            {
                throw new MailstoreException(MailstoreError.MailboxExists, $"mailbox {name} already exists");
            }

            if (!exists)
            {
                var folder = root.GetFolder(name);
                if (!folder.Succeeded)
                {
                    throw new MailstoreException(MailstoreError.InvalidName, folder.Failure!.Reason);
                }

                if (!folder.Value.Exists)
                {
                    var created = root.CreateFolder(name);
                    if (!created.Succeeded)
                    {
                        throw new MailstoreException(MailstoreError.InvalidName, created.Failure!.Reason);
                    }
                }

                await ReconstructFolderAsync(connection, user, name, folder.Value, cancellationToken);
            }
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = UserLockKey(user.Id) }, cancellationToken: CancellationToken.None));
        }

        return await FindMailboxAsync(user, name, cancellationToken) ?? throw new MailstoreException(MailstoreError.NoSuchMailbox, $"mailbox {name} vanished while being created");
    }

    private static async Task<MessageIndexer> WriteAsync(MaildirDelivery delivery, Stream content, CancellationToken cancellationToken)
    {
        var indexer = new MessageIndexer();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                indexer.Write(buffer.AsSpan(0, read));
                await delivery.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return indexer;
    }

    private async Task<DeliveryResult> CommitRowAsync(
        NpgsqlConnection connection, DeliveryRequest request, MailboxInfo mailbox, MaildirFileName name, string tmpFileName, IndexedMessage index, DateTimeOffset internalDate, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await TryChargeQuotaAsync(connection, transaction, request.User, index.Size, 1, cancellationToken) is { } refusal)
        {
            await transaction.RollbackAsync(cancellationToken);
            return DeliveryResult.OverQuota(refusal);
        }

        var allocated = await connection.QuerySingleAsync<(long Uid, long ModSeq)>(new CommandDefinition(
            "UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1 WHERE id = @id RETURNING uidnext - 1, highestmodseq",
            new { id = mailbox.Id }, transaction, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO messages (mailbox_id, uid, base_name, file_name, size, crlf_size, internal_date, flags, keywords, modseq, pending,
                                      delivery_key, envelope, body, bodystructure, structure, search)
                VALUES (@id, @uid, @baseName, @file, @size, @crlfSize, @date, @flags, @keywords, @modseq, true,
                        @key, @envelope, @body, @bodystructure, @structure, to_tsvector('simple', @search))
                """, new
            {
                id = mailbox.Id, uid = allocated.Uid, baseName = name.BaseName, file = MaildirFolder.TmpDirectory + "/" + tmpFileName,
                size = index.Size, crlfSize = index.CrlfSize, date = internalDate.UtcDateTime, flags = (int)request.Flags, keywords = request.Keywords.ToArray(),
                modseq = allocated.ModSeq, key = request.DeliveryKey, envelope = index.Envelope, body = index.Body, bodystructure = index.BodyStructure,
                structure = index.Structure, search = index.SearchText,
            }, transaction, cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && request.DeliveryKey is not null)
        {
            // The same delivery, retried while the first attempt was still running: that one wins.
            await transaction.RollbackAsync(cancellationToken);
            var uid = await FindDeliveredAsync(connection, mailbox.Id, request.DeliveryKey, cancellationToken) ?? 0;
            return new DeliveryResult(DeliveryStatus.AlreadyDelivered, mailbox.Id, mailbox.UidValidity, uid);
        }

        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify('mailbox_changed', @payload)",
            new { payload = $"{mailbox.Id}:exists:{allocated.ModSeq}" }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new DeliveryResult(DeliveryStatus.Delivered, mailbox.Id, mailbox.UidValidity, (uint)allocated.Uid);
    }

    private static async Task<string> QuotaReasonAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long userId, long size, CancellationToken cancellationToken)
    {
        var q = await connection.QuerySingleAsync<(long Bytes, long Messages, long? QuotaBytes, long? QuotaMessages)>(new CommandDefinition("""
            SELECT q.bytes, q.messages, u.quota_bytes, u.quota_messages FROM quota_usage q JOIN users u ON u.address_id = q.user_id WHERE q.user_id = @userId
            """, new { userId }, transaction, cancellationToken: cancellationToken));
        if (q.QuotaBytes is { } limit && q.Bytes + size > limit)
        {
            return $"storage quota exceeded: {ByteSize.Format(q.Bytes)} of {ByteSize.Format(limit)} used ({q.Bytes * 100 / limit}%), message is {ByteSize.Format(size)}";
        }

        return $"message count quota exceeded: {q.Messages} of {q.QuotaMessages} messages";
    }

    private static async Task<uint?> FindDeliveredAsync(NpgsqlConnection connection, long mailboxId, string key, CancellationToken cancellationToken) =>
        (uint?)await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT uid FROM messages WHERE mailbox_id = @mailboxId AND delivery_key = @key", new { mailboxId, key }, cancellationToken: cancellationToken));

    private async Task AppendToUidListAsync(MaildirFolder folder, UidListRecord record, CancellationToken cancellationToken)
    {
        var gate = FolderGate(folder.Path);
        await gate.WaitAsync(cancellationToken);
        MaildirResult<UidList> added;
        try
        {
            using var uidLock = await UidListLock.AcquireAsync(folder.Path, _options.Locks, _time, cancellationToken);
            added = await UidListFile.AddAsync(uidLock, [record], cancellationToken);
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

    private async Task<IReadOnlyCollection<int>> KeywordIndexesAsync(MaildirFolder folder, IReadOnlyList<string> keywords, CancellationToken cancellationToken)
    {
        var indexes = new List<int>();
        foreach (var keyword in keywords)
        {
            var index = await KeywordsFile.GetOrAddAsync(folder.Path, keyword, _options.Locks, _time, cancellationToken);
            if (index.Succeeded)
            {
                indexes.Add(index.Value);
            }
        }

        return indexes;
    }

    private Task InjectFaultAsync(DeliveryStep step) => FaultInjection?.Invoke(step) ?? Task.CompletedTask;
}

/// <summary>The points of a delivery after which a crash is simulated in tests.</summary>
public enum DeliveryStep
{
    Sealed,
    Committed,
    Published,
    Listed,
}
