using Npgsql;

namespace MailAppliance.Pop3.Server;

/// <summary>
/// Maildrop locks as PostgreSQL session-level advisory locks on a connection held for the POP3 session, so they hold
/// across processes and vanish with the connection if the process dies.
/// </summary>
public sealed class PostgresMaildropLocks : IMaildropLocks
{
    // The store takes 0x4D41_0000_0000_0000 + userId; POP3 maildrops get their own range.
    private const long KeyBase = 0x4D41_0100_0000_0000;
    private readonly NpgsqlDataSource _db;

    public PostgresMaildropLocks(NpgsqlDataSource db) => _db = db;

    public async Task<IAsyncDisposable?> TryAcquireAsync(long mailboxId, CancellationToken cancellationToken)
    {
        var key = KeyBase + mailboxId;
        var connection = await _db.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection);
            command.Parameters.AddWithValue(key);
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                var held = new HeldLock(connection, key);
                connection = null;
                return held;
            }

            return null;
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private sealed class HeldLock(NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
                command.Parameters.AddWithValue(key);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await command.ExecuteScalarAsync(timeout.Token);
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
            {
                // Closing the connection below releases the lock anyway (a pooled connection is reset on return).
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
