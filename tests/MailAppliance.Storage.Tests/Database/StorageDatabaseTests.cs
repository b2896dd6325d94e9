using MailAppliance.Storage.Database;
using MailAppliance.Testing;
using Npgsql;

namespace MailAppliance.Storage.Tests.Database;

/// <summary>The two pools: the shared one returns connections as they are, the session one resets them.</summary>
public class StorageDatabaseTests
{
    private const long LockKey = 0x5445_5354;

    [Fact]
    public async Task The_shared_pool_returns_a_connection_without_sending_the_reset_query()
    {
        await using var db = StorageDatabase.Create(await TestCluster.CreateDatabaseAsync());
        int pid;
        await using (var first = await db.Source.OpenConnectionAsync())
        {
            pid = await ScalarAsync<int>(first, "SELECT pg_backend_pid()");
            await ScalarAsync<string>(first, "SELECT set_config('application_name', 'kept', false)");
        }

        await using var second = await db.Source.OpenConnectionAsync();

        Assert.Equal(pid, await ScalarAsync<int>(second, "SELECT pg_backend_pid()"));
        // RESET ALL, the reset's second statement, would have put the name back.
        Assert.Equal("kept", await ScalarAsync<string>(second, "SHOW application_name"));
    }

    [Fact]
    public async Task A_session_lock_left_on_a_session_connection_is_released_by_its_reset()
    {
        var connectionString = await TestCluster.CreateDatabaseAsync();
        await using var db = StorageDatabase.Create(connectionString);

        Assert.True(await LockFreeAfterLeavingItAsync(connectionString, db.SessionSource));
    }

    [Fact]
    public async Task A_session_lock_left_on_a_shared_connection_would_stay_so_locks_are_refused_there()
    {
        var connectionString = await TestCluster.CreateDatabaseAsync();
        await using var db = StorageDatabase.Create(connectionString);

        Assert.False(await LockFreeAfterLeavingItAsync(connectionString, db.Source));

        await using var shared = await db.Source.OpenConnectionAsync();
        await using var session = await db.SessionSource.OpenConnectionAsync();
        Assert.Throws<InvalidOperationException>(() => StorageDatabase.EnsureResetOnReturn(shared));
        StorageDatabase.EnsureResetOnReturn(session);
    }

    /// <summary>
    /// Takes a session lock on a connection of <paramref name="pool"/> and returns it without the unlock (as when a
    /// release fails), uses the pool's connection once more (Npgsql sends a reset ahead of the next statement), and
    /// says whether another session can now take the lock.
    /// </summary>
    private static async Task<bool> LockFreeAfterLeavingItAsync(string connectionString, NpgsqlDataSource pool)
    {
        await using (var holder = await pool.OpenConnectionAsync())
        {
            await ScalarAsync<object>(holder, $"SELECT pg_advisory_lock({LockKey})");
        }

        await using (var next = await pool.OpenConnectionAsync())
        {
            await ScalarAsync<int>(next, "SELECT 1");
        }

        await using var outsider = NpgsqlDataSource.Create(connectionString);
        await using var probe = await outsider.OpenConnectionAsync();
        return await ScalarAsync<bool>(probe, $"SELECT pg_try_advisory_lock({LockKey})");
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
