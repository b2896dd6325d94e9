using System.Security.Cryptography;
using System.Text;
using Dapper;
using MailAppliance.Storage.Database;
using Npgsql;


namespace MailAppliance.Storage.Sieve;

/// <summary>Duplicate tracking (RFC 7352) and the vacation response memory (RFC 5230 §4.2) in PostgreSQL.
/// Expired rows are ignored on read; a write removes the user's rows that expired long before (the caller's clock, not the database's, decides).</summary>
public sealed class PostgresSieveMemory : ISieveDuplicateStore, IVacationResponseStore
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresSieveMemory(StorageDatabase database) => _dataSource = database.Source;

    public async ValueTask<bool> IsTrackedAsync(long userId, string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM sieve_duplicates WHERE user_id = @userId AND key = @key AND expires_at > @now)",
            new { userId, key, now = now.UtcDateTime }, cancellationToken: cancellationToken));
    }

    public async ValueTask TrackAsync(long userId, string key, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sieve_duplicates (user_id, key, expires_at) VALUES (@userId, @key, @expires)
            ON CONFLICT (user_id, key) DO UPDATE SET expires_at = excluded.expires_at;
            DELETE FROM sieve_duplicates WHERE user_id = @userId AND expires_at < @expires - interval '180 days';
            """, new { userId, key, expires = expires.UtcDateTime }, cancellationToken: cancellationToken));
    }

    public async ValueTask<bool> HasRespondedAsync(long userId, string sender, string handle, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM sieve_vacation_responses WHERE user_id = @userId AND sender = @sender AND handle = @handle AND expires_at > @now)",
            new { userId, sender = sender.ToLowerInvariant(), handle = HandleKey(handle), now = now.UtcDateTime }, cancellationToken: cancellationToken));
    }

    public async ValueTask RecordAsync(long userId, string sender, string handle, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sieve_vacation_responses (user_id, sender, handle, expires_at) VALUES (@userId, @sender, @handle, @expires)
            ON CONFLICT (user_id, sender, handle) DO UPDATE SET expires_at = excluded.expires_at;
            DELETE FROM sieve_vacation_responses WHERE user_id = @userId AND expires_at < @expires - interval '180 days';
            """, new { userId, sender = sender.ToLowerInvariant(), handle = HandleKey(handle), expires = expires.UtcDateTime }, cancellationToken: cancellationToken));
    }

    /// <summary>Handles can be whole reason texts; the row keeps their hash.</summary>
    private static string HandleKey(string handle) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(handle)));
}
