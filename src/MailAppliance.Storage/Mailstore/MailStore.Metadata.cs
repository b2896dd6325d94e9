using Dapper;

namespace MailAppliance.Storage.Mailstore;

/// <summary>One annotation (RFC 5464): its entry name (lower case) and value.</summary>
public sealed record MetadataEntry(string Entry, byte[] Value);

public sealed partial class MailStore
{
    /// <summary>The RFC 6154 §4 entry that holds the special-use attributes given at CREATE.</summary>
    public const string SpecialUseEntry = "/private/specialuse";

    /// <summary>
    /// Annotations of a mailbox (<paramref name="mailboxId"/>) or of the server (null): the named entries and, with
    /// <paramref name="depth"/> 1 or infinity (-1), the entries below them (RFC 5464 §4.2.2).
    /// </summary>
    public async Task<IReadOnlyList<MetadataEntry>> GetMetadataAsync(MailUser user, long? mailboxId, IReadOnlyList<string> entries, int depth, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Entry, byte[] Value)>(new CommandDefinition(
            "SELECT entry, value FROM metadata WHERE user_id = @user AND coalesce(mailbox_id, 0) = @mailbox ORDER BY entry",
            new { user = user.Id, mailbox = mailboxId ?? 0 }, cancellationToken: cancellationToken));
        var result = new List<MetadataEntry>();
        foreach (var (entry, value) in rows)
        {
            foreach (var asked in entries)
            {
                var name = asked.ToLowerInvariant();
                var below = entry.StartsWith(name + "/", StringComparison.Ordinal);
                if (entry == name || (below && (depth < 0 || (depth == 1 && !entry[(name.Length + 1)..].Contains('/', StringComparison.Ordinal)))))
                {
                    result.Add(new MetadataEntry(entry, value));
                    break;
                }
            }
        }

        return result;
    }

    /// <summary>Sets (or, with a null value, removes) an annotation; the user's sessions hear of it (RFC 5465 metadata events).</summary>
    public async Task SetMetadataAsync(MailUser user, long? mailboxId, string entry, byte[]? value, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM metadata WHERE user_id = @user AND coalesce(mailbox_id, 0) = @mailbox AND entry = @entry",
            new { user = user.Id, mailbox = mailboxId ?? 0, entry = entry.ToLowerInvariant() }, transaction, cancellationToken: cancellationToken));
        if (value is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO metadata (user_id, mailbox_id, entry, value) VALUES (@user, @mailbox, @entry, @value)",
                new { user = user.Id, mailbox = mailboxId, entry = entry.ToLowerInvariant(), value }, transaction, cancellationToken: cancellationToken));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_notify('mailbox_changed', @payload)",
            new { payload = UserPayload(user, "metadata:" + (mailboxId ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + entry.ToLowerInvariant()) },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>How many annotations a user has (RFC 5464 §4.3: the server may limit them).</summary>
    public async Task<long> CountMetadataAsync(MailUser user, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM metadata WHERE user_id = @user", new { user = user.Id }, cancellationToken: cancellationToken));
    }

    /// <summary>The special-use attributes given at CREATE, by mailbox id (RFC 6154 §4: the /private/specialuse entry).</summary>
    public async Task<IReadOnlyDictionary<long, string>> GetSpecialUseAsync(MailUser user, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long MailboxId, byte[] Value)>(new CommandDefinition(
            "SELECT mailbox_id, value FROM metadata WHERE user_id = @user AND mailbox_id IS NOT NULL AND entry = @entry",
            new { user = user.Id, entry = SpecialUseEntry }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.MailboxId, r => System.Text.Encoding.UTF8.GetString(r.Value));
    }

    /// <summary>Tells the user's sessions (in every process) that the mailbox list or the subscriptions changed (RFC 5465 MailboxName, SubscriptionChange).</summary>
    public async Task NotifyMailboxListChangedAsync(MailUser user, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_notify('mailbox_changed', @payload)", new { payload = UserPayload(user, "list") }, cancellationToken: cancellationToken));
    }

    /// <summary>A notification about a user rather than a mailbox: <c>u&lt;id&gt;:&lt;kind&gt;</c>.</summary>
    private static string UserPayload(MailUser user, string kind) => "u" + user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + kind;
}
