using MailAppliance.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MailAppliance.Testing;

/// <summary>
/// One private PostgreSQL cluster per test process, started by the same launcher the host uses, in a fresh
/// temporary directory, and stopped when the process exits. Each test class gets its own database in it.
/// </summary>
public static class TestCluster
{
    private static readonly Lazy<Task<(EmbeddedPostgresLease Lease, string Root)>> Started = new(StartAsync);

    public static async Task<string> AdminConnectionStringAsync()
    {
        var (lease, _) = await Started.Value;
        return new NpgsqlConnectionStringBuilder(lease.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var (lease, _) = await Started.Value;
        var name = "t_" + Guid.NewGuid().ToString("N")[..20];
        await using (var connection = new NpgsqlConnection(await AdminConnectionStringAsync()))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(lease.ConnectionString) { Database = name, MaxPoolSize = 20 }.ConnectionString;
    }

    private static async Task<(EmbeddedPostgresLease, string)> StartAsync()
    {
        var root = TestDirectories.Create("cluster");
        var launcher = new EmbeddedPostgres(Path.Combine(root, "data"), null, NullLogger<EmbeddedPostgres>.Instance);
        var lease = await launcher.AcquireAsync(CancellationToken.None);
        StartWatchdog(launcher, root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lease.DisposeAsync().AsTask().GetAwaiter().GetResult();
            TestDirectories.Delete(root);
        };
        return (lease, root);
    }

    /// <summary>
    /// A detached shell that waits for this test process to end, however it ends (the test host may be killed
    /// before ProcessExit handlers finish), then stops the cluster and removes its directory.
    /// </summary>
    private static void StartWatchdog(EmbeddedPostgres launcher, string root)
    {
        var pgCtl = Path.Combine(PostgresBinaries.LocateAsync(null, CancellationToken.None).GetAwaiter().GetResult(), "pg_ctl");
        var asUser = EmbeddedPostgres.ClusterOsUser is { } user ? $"runuser -u {user} -- " : "";
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; "
            + $"{asUser}'{pgCtl}' stop -D '{launcher.ClusterDirectory}' -m fast -w >/dev/null 2>&1; rm -rf '{root}'";
        var start = new System.Diagnostics.ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "sh", "-c", script })
        {
            start.ArgumentList.Add(argument);
        }

        // Detached with its own pipes: it must not hold the test runner's output open.
        using var watchdog = System.Diagnostics.Process.Start(start);
    }
}
