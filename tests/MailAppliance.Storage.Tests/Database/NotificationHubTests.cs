using System.Collections.Concurrent;
using MailAppliance.Storage.Database;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MailAppliance.Storage.Tests.Database;

/// <summary>The listeners of one database handle share one LISTEN connection, each hearing only its channel.</summary>
public class NotificationHubTests
{
    [Fact]
    public async Task Listeners_on_several_channels_share_one_backend_and_each_hears_its_own()
    {
        var connectionString = await TestCluster.CreateDatabaseAsync();
        await using var db = StorageDatabase.Create(connectionString);
        await using var outsider = NpgsqlDataSource.Create(connectionString);
        var heard = new ConcurrentQueue<string>();
        var listeners = new List<ChannelListener>();
        var connected = new List<TaskCompletionSource>();
        foreach (var channel in new[] { "hub_a", "hub_b" })
        {
            listeners.Add(Listener(db, channel, heard, connected));
        }

        await Task.WhenAll(connected.Select(c => c.Task)).WaitAsync(TimeSpan.FromSeconds(30));
        // A third channel after the connection is up: the hub reconnects with it among the others.
        listeners.Add(Listener(db, "hub_c", heard, connected));
        await connected[^1].Task.WaitAsync(TimeSpan.FromSeconds(30));

        await using (var connection = await outsider.OpenConnectionAsync())
        {
            // One backend's last statement listened on all three (with a connection per channel, none would have).
            Assert.Equal(1L, await ScalarAsync<long>(connection, """
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                  AND query LIKE '%LISTEN hub_a;%' AND query LIKE '%LISTEN hub_b;%' AND query LIKE '%LISTEN hub_c;%'
                """));
            await ScalarAsync<object>(connection, "SELECT pg_notify('hub_b', 'two'), pg_notify('hub_c', 'three'), pg_notify('hub_a', 'one')");
        }

        await Eventually(() => heard.Count >= 3);
        Assert.Equal(["hub_a:one", "hub_b:two", "hub_c:three"], heard.Order(StringComparer.Ordinal));

        foreach (var listener in listeners)
        {
            await listener.DisposeAsync();
        }
    }

    private static ChannelListener Listener(StorageDatabase db, string channel, ConcurrentQueue<string> heard, List<TaskCompletionSource> connected)
    {
        var listener = new ChannelListener(db, channel, NullLogger.Instance);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connected.Add(up);
        listener.Notified += payload => heard.Enqueue($"{channel}:{payload}");
        listener.Connected += () => up.TrySetResult();
        listener.EnsureStarted();
        return listener;
    }

    private static async Task Eventually(Func<bool> condition) => await Eventually(() => Task.FromResult(condition()));

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
