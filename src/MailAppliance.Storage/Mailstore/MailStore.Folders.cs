using MailAppliance.Storage.Database;
using MailAppliance.Storage.Durability;
using Dapper;
using MailAppliance.Storage.Maildir;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

public sealed partial class MailStore
{
    /// <summary>Creates a mailbox (and, as IMAP CREATE does, any missing parents).</summary>
    public async Task<MailboxInfo> CreateMailboxAsync(MailUser user, MailboxName name, CancellationToken cancellationToken)
    {
        await EnsureUserAsync(user, cancellationToken);
        if (name.IsInbox)
        {
            throw new MailstoreException(MailstoreError.MailboxExists, "INBOX always exists");
        }

        for (var parent = name.Parent; parent is not null; parent = parent.Parent)
        {
            await EnsureMailboxAsync(user, parent, cancellationToken);
        }

        return await CreateMailboxCoreAsync(user, name, failIfExists: true, cancellationToken);
    }

    /// <summary>
    /// Renames a mailbox and every mailbox below it, keeping their UIDVALIDITY and UIDs (the folders are renamed on
    /// disk, their uidlists travel with them). Renaming INBOX moves its messages into the new mailbox and leaves
    /// INBOX empty (RFC 3501 §6.3.5). Subscriptions follow the rename.
    /// </summary>
    public async Task RenameMailboxAsync(MailUser user, MailboxName from, MailboxName to, CancellationToken cancellationToken)
    {
        await EnsureUserAsync(user, cancellationToken);
        if (from.IsInbox)
        {
            await RenameInboxAsync(user, to, cancellationToken);
            return;
        }

        if (to.IsInbox || to.IsSelfOrDescendantOf(from))
        {
            throw new MailstoreException(MailstoreError.InvalidName, $"cannot rename {from} to {to}");
        }

        for (var parent = to.Parent; parent is not null; parent = parent.Parent)
        {
            await EnsureMailboxAsync(user, parent, cancellationToken);
        }

        await using var connection = await _sessionDb.OpenConnectionAsync(cancellationToken);
        await WithUserLockAsync(connection, user, exclusive: true, async () =>
        {
            var root = RootOf(user);
            var rows = (await connection.QueryAsync<(long Id, string Name)>(new CommandDefinition(
                "SELECT id, name FROM mailboxes WHERE user_id = @user", new { user = user.Id }, cancellationToken: cancellationToken))).ToList();
            var moving = rows.Select(r => (r.Id, Name: MailboxName.FromImap(r.Name).Value)).Where(r => r.Name.IsSelfOrDescendantOf(from)).OrderBy(r => r.Name.Components.Count).ToList();
            if (moving.Count == 0)
            {
                throw new MailstoreException(MailstoreError.NoSuchMailbox, $"no mailbox {from}");
            }

            if (rows.Any(r => r.Name == to.Name) || root.GetFolder(to).TryGetValue(out var taken) && Directory.Exists(taken.Path))
            {
                throw new MailstoreException(MailstoreError.MailboxExists, $"mailbox {to} already exists");
            }

            var renames = new List<(long Id, MailboxName Old, MailboxName New)>();
            foreach (var (id, old) in moving)
            {
                var renamed = MailboxName.FromComponents([.. to.Components, .. old.Components.Skip(from.Components.Count)]);
                if (!renamed.Succeeded)
                {
                    throw new MailstoreException(MailstoreError.InvalidName, renamed.Failure!.Reason);
                }

                renames.Add((id, old, renamed.Value));
            }

            // Maildir++ folders are flat directories (.A, .A.B): each one is renamed; none contains another.
            var done = new List<(string From, string To)>();
            try
            {
                foreach (var (_, old, renamed) in renames)
                {
                    var source = root.GetFolder(old).Value.Path;
                    var target = root.GetFolder(renamed).Value.Path;
                    if (Directory.Exists(source))
                    {
                        Directory.Move(source, target);
                        done.Add((source, target));
                    }
                }
            }
            catch
            {
                foreach (var (source, target) in Enumerable.Reverse(done))
                {
                    Directory.Move(target, source);
                }

                throw;
            }

            FileSystemSync.FsyncDirectory(root.Path);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            foreach (var (id, old, renamed) in renames)
            {
                await connection.ExecuteAsync(new CommandDefinition("UPDATE mailboxes SET name = @name WHERE id = @id", new { id, name = renamed.Name }, transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE subscriptions SET name = @to WHERE user_id = @user AND name = @from", new { user = user.Id, from = old.Name, to = renamed.Name }, transaction, cancellationToken: cancellationToken));
            }

            await transaction.CommitAsync(cancellationToken);
            var subscribed = SubscriptionsFile.Read(root.Path).Names;
            await SubscriptionsFile.WriteAsync(root.Path,
                subscribed.Select(n => renames.FirstOrDefault(r => r.Old == n) is { New: { } newName } ? newName : n), _options.Locks, _time, cancellationToken);
        });
    }

    /// <summary>Deletes a mailbox with its messages. A mailbox with children, and INBOX, cannot be deleted.</summary>
    public async Task DeleteMailboxAsync(MailUser user, MailboxName name, CancellationToken cancellationToken)
    {
        if (name.IsInbox)
        {
            throw new MailstoreException(MailstoreError.InvalidName, "INBOX cannot be deleted");
        }

        var mailbox = await FindMailboxAsync(user, name, cancellationToken) ?? throw new MailstoreException(MailstoreError.NoSuchMailbox, $"no mailbox {name}");
        await using var connection = await _sessionDb.OpenConnectionAsync(cancellationToken);
        await WithUserLockAsync(connection, user, exclusive: true, async () =>
        {
            var children = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT count(*) FROM mailboxes WHERE user_id = @user AND name LIKE @prefix ESCAPE '\\'",
                new { user = user.Id, prefix = EscapeLike(name.Name + "/") + "%" }, cancellationToken: cancellationToken));
            if (children > 0)
            {
                throw new MailstoreException(MailstoreError.MailboxExists, $"mailbox {name} has child mailboxes; delete them first");
            }

            // Out of the tree first (one rename, so no reader or reconstruct sees half a folder), then gone.
            var root = RootOf(user);
            var graveyard = Path.Combine(root.Inbox.TmpPath, $"deleted-{Guid.NewGuid():N}");
            if (Directory.Exists(mailbox.FolderPath))
            {
                Directory.Move(mailbox.FolderPath, graveyard);
                FileSystemSync.FsyncDirectory(root.Path);
            }

            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    UPDATE quota_usage q SET bytes = q.bytes - s.bytes, messages = q.messages - s.messages
                    FROM (SELECT coalesce(sum(size), 0) AS bytes, count(*) AS messages FROM messages WHERE mailbox_id = @id) s
                    WHERE q.user_id = @user
                    """, new { id = mailbox.Id, user = user.Id }, transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM mailboxes WHERE id = @id", new { id = mailbox.Id }, transaction, cancellationToken: cancellationToken));
                Catalog.Forget(mailbox.Id);
                await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify('mailbox_changed', @payload)", new { payload = $"{mailbox.Id}:deleted:0" }, transaction, cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);
            }

            if (Directory.Exists(graveyard))
            {
                Directory.Delete(graveyard, recursive: true);
            }
        });
    }

    public async Task SetSubscribedAsync(MailUser user, MailboxName name, bool subscribed, CancellationToken cancellationToken)
    {
        await EnsureUserAsync(user, cancellationToken);
        await SubscriptionsFile.SetSubscribedAsync(RootOf(user).Path, name, subscribed, _options.Locks, _time, cancellationToken);
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            subscribed
                ? "INSERT INTO subscriptions (user_id, name) VALUES (@user, @name) ON CONFLICT DO NOTHING"
                : "DELETE FROM subscriptions WHERE user_id = @user AND name = @name",
            new { user = user.Id, name = name.Name }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<MailboxName>> ListSubscriptionsAsync(MailUser user, CancellationToken cancellationToken)
    {
        await EnsureUserAsync(user, cancellationToken);
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var names = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM subscriptions WHERE user_id = @user ORDER BY name", new { user = user.Id }, cancellationToken: cancellationToken));
        return names.Select(n => MailboxName.FromImap(n)).Where(r => r.Succeeded).Select(r => r.Value).ToList();
    }

    private async Task RenameInboxAsync(MailUser user, MailboxName to, CancellationToken cancellationToken)
    {
        var inbox = await FindMailboxAsync(user, MailboxName.Inbox, cancellationToken) ?? throw new MailstoreException(MailstoreError.NoSuchMailbox, "no INBOX");
        var target = await CreateMailboxAsync(user, to, cancellationToken);
        var uids = (await ListMessagesAsync(inbox, cancellationToken)).Select(m => m.Uid).ToList();
        if (uids.Count > 0)
        {
            await CopyMessagesAsync(user, inbox, uids, target, move: true, cancellationToken);
        }
    }

    private async Task WithUserLockAsync(NpgsqlConnection connection, MailUser user, bool exclusive, Func<Task> action)
    {
        StorageDatabase.EnsureResetOnReturn(connection);
        var key = UserLockKey(user.Id);
        await connection.ExecuteAsync(exclusive ? "SELECT pg_advisory_lock(@key)" : "SELECT pg_advisory_lock_shared(@key)", new { key });
        try
        {
            await action();
        }
        finally
        {
            await connection.ExecuteAsync(exclusive ? "SELECT pg_advisory_unlock(@key)" : "SELECT pg_advisory_unlock_shared(@key)", new { key });
        }
    }

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
