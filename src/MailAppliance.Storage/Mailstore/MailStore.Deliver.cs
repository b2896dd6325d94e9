using MailAppliance.Storage.Database;
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
    /// Steps 2 and 3 are a group commit: deliveries sealed while another group is committing share the next
    /// transaction, directory fsync and uidlist append (see MailStore.GroupCommit.cs). Once sealed, a delivery
    /// runs to its end; <paramref name="cancellationToken"/> only stops it before that.
    /// </summary>
    public async Task<DeliveryResult> DeliverAsync(DeliveryRequest request, Stream content, CancellationToken cancellationToken)
    {
        var mailbox = await DeliveryTargetAsync(request.User, request.Mailbox, cancellationToken);
        var folder = new MaildirFolder(mailbox.FolderPath);
        var keywordIndexes = await KeywordIndexesAsync(folder, request.Keywords, cancellationToken);
        var delivery = folder.BeginDelivery(_names);
        SealedDelivery sealedDelivery;
        try
        {
            var indexer = await WriteAsync(delivery, content, cancellationToken);
            var name = await delivery.SealAsync(request.InternalDate ?? _time.GetUtcNow(), _barrier, cancellationToken);
            IndexedMessage index;
            await using (var stored = new FileStream(delivery.TmpPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                index = indexer.Complete(stored, _options.MaxSearchTextBytes);
            }

            var internalDate = new DateTimeOffset(File.GetLastWriteTimeUtc(delivery.TmpPath), TimeSpan.Zero);
            await InjectFaultAsync(DeliveryStep.Sealed);
            sealedDelivery = new SealedDelivery(request, mailbox, folder, delivery, name, index, internalDate, keywordIndexes);
        }
        catch
        {
            await delivery.DisposeAsync();
            throw;
        }

        var result = await CommitInGroupAsync(sealedDelivery);
        if (result is null)
        {
            // The cached mailbox was deleted or renamed meanwhile: look it up again and commit once more. The tmp
            // file is still in the right folder (a folder's path follows from its user and name).
            _deliveryTargets.TryRemove((request.User.Id, request.Mailbox.Name), out _);
            var current = await DeliveryTargetAsync(request.User, request.Mailbox, cancellationToken);
            result = File.Exists(delivery.TmpPath) && current.FolderPath == mailbox.FolderPath
                ? await CommitInGroupAsync(sealedDelivery with { Mailbox = current })
                : null;
            if (result is null)
            {
                await delivery.DisposeAsync();
                throw new MailstoreException(MailstoreError.NoSuchMailbox, $"mailbox {request.Mailbox} changed during delivery");
            }
        }

        return result;
    }

    /// <summary>The mailbox a delivery goes to, cached per store; the group commit checks the cached id again.</summary>
    private async Task<MailboxInfo> DeliveryTargetAsync(MailUser user, MailboxName name, CancellationToken cancellationToken)
    {
        if (_deliveryTargets.TryGetValue((user.Id, name.Name), out var cached))
        {
            return cached;
        }

        var mailbox = await EnsureMailboxAsync(user, name, cancellationToken);
        _deliveryTargets[(user.Id, name.Name)] = mailbox;
        return mailbox;
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
        await using var connection = await _sessionDb.OpenConnectionAsync(cancellationToken);
        StorageDatabase.EnsureResetOnReturn(connection);
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

    private static async Task<string> QuotaReasonAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long userId, long size, CancellationToken cancellationToken)
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
