using MailAppliance.Database;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MailAppliance.Tests.Database;

public sealed class EmbeddedPostgresTests : IDisposable
{
    private readonly string _root = TestDirectories.Create("launcher");

    public void Dispose() => TestDirectories.Delete(_root);

    private EmbeddedPostgres Launcher(string? dataDirectory = null, string? binDirectory = null) =>
        new(dataDirectory ?? Path.Combine(_root, "data"), binDirectory, NullLogger<EmbeddedPostgres>.Instance);

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<bool> RunningAsync(EmbeddedPostgres launcher) =>
        await launcher.IsRunningAsync(await PostgresBinaries.LocateAsync(null, CancellationToken.None), CancellationToken.None);

    [Fact]
    public async Task Start_creates_a_cluster_that_listens_only_on_its_own_socket_and_stop_stops_it()
    {
        var launcher = Launcher();
        await using (var lease = await launcher.AcquireAsync(CancellationToken.None))
        {
            Assert.Equal("", await ScalarAsync<string>(lease.ConnectionString, "SHOW listen_addresses"));
            Assert.Equal(launcher.ClusterDirectory, await ScalarAsync<string>(lease.ConnectionString, "SHOW unix_socket_directories"));
            Assert.Equal(EmbeddedPostgres.DatabaseName, await ScalarAsync<string>(lease.ConnectionString, "SELECT current_database()"));
            Assert.True(File.Exists(Path.Combine(launcher.ClusterDirectory, ".s.PGSQL.5432")));
            Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(launcher.ClusterDirectory));
            Assert.True(await RunningAsync(launcher));
        }

        Assert.False(await RunningAsync(launcher));
        Assert.False(File.Exists(Path.Combine(launcher.ClusterDirectory, "postmaster.pid")));
    }

    [Fact]
    public async Task As_root_the_cluster_belongs_to_the_postgres_user()
    {
        Assert.True(Environment.IsPrivilegedProcess, "the test suite runs as root on CI; the non-root case is the next test");
        var launcher = Launcher();
        await using var lease = await launcher.AcquireAsync(CancellationToken.None);
        var postgres = UnixInterop.LookupUser("postgres")!.Value;
        Assert.Equal(postgres.Uid, UnixInterop.OwnerOf(launcher.ClusterDirectory));
        Assert.Equal(postgres.Uid, UnixInterop.OwnerOf(Path.Combine(launcher.ClusterDirectory, "PG_VERSION")));
        var postmasterPid = (await File.ReadAllLinesAsync(Path.Combine(launcher.ClusterDirectory, "postmaster.pid")))[0].Trim();
        Assert.Equal("postgres", (await CommandRunner.RunAsync("ps", ["-o", "user=", "-p", postmasterPid], null, TimeSpan.FromSeconds(10), CancellationToken.None)).Output.Trim());
    }

    [Fact]
    public async Task As_a_normal_user_the_cluster_runs_as_that_user()
    {
        // The real binary, run by a non-root OS user (postgres) on a data directory of its own.
        var data = Path.Combine(_root, "nonroot");
        Directory.CreateDirectory(data);
        var postgres = UnixInterop.LookupUser("postgres")!.Value;
        UnixInterop.ChangeOwner(data, postgres.Uid, postgres.Gid);
        var config = Path.Combine(_root, "nonroot.json");
        await File.WriteAllTextAsync(config, $$"""{ "Storage": { "DataDirectory": "{{data}}" } }""");

        var add = await CliRunner.RunProcessAsync(["--config", config, "domain", "add", "nonroot.test"], asUser: "postgres");
        Assert.True(add.ExitCode == 0, add.ToString());
        var list = await CliRunner.RunProcessAsync(["--config", config, "domain", "list"], asUser: "postgres");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("nonroot.test", list.Output, StringComparison.Ordinal);
        Assert.Equal(postgres.Uid, UnixInterop.OwnerOf(Path.Combine(data, "pg", "PG_VERSION")));
        Assert.False(File.Exists(Path.Combine(data, "pg", "postmaster.pid")), "the verb started the cluster and, being the last user, stopped it");
    }

    [Fact]
    public async Task A_second_process_reuses_the_running_cluster_and_the_last_one_out_stops_it()
    {
        var first = Launcher();
        var second = Launcher();
        var leaseA = await first.AcquireAsync(CancellationToken.None);
        var startedAt = await ScalarAsync<DateTime>(leaseA.ConnectionString, "SELECT pg_postmaster_start_time()");
        var leaseB = await second.AcquireAsync(CancellationToken.None);
        Assert.Equal(startedAt, await ScalarAsync<DateTime>(leaseB.ConnectionString, "SELECT pg_postmaster_start_time()"));

        await leaseA.DisposeAsync();
        Assert.True(await RunningAsync(second), "still used by the second holder");
        Assert.Equal(1, await ScalarAsync<int>(leaseB.ConnectionString, "SELECT 1"));

        await leaseB.DisposeAsync();
        Assert.False(await RunningAsync(second));
    }

    [Fact]
    public async Task Concurrent_first_starts_start_one_cluster()
    {
        var leases = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Launcher().AcquireAsync(CancellationToken.None))));
        var startTimes = new HashSet<DateTime>();
        foreach (var lease in leases)
        {
            startTimes.Add(await ScalarAsync<DateTime>(lease.ConnectionString, "SELECT pg_postmaster_start_time()"));
        }

        Assert.Single(startTimes);
        foreach (var lease in leases)
        {
            await lease.DisposeAsync();
        }

        Assert.False(await RunningAsync(Launcher()));
    }

    [Fact]
    public async Task A_restart_reuses_the_cluster_and_its_data()
    {
        await using (var lease = await Launcher().AcquireAsync(CancellationToken.None))
        {
            await ScalarAsync<int>(lease.ConnectionString, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42); SELECT 1");
        }

        await using (var again = await Launcher().AcquireAsync(CancellationToken.None))
        {
            Assert.Equal(42, await ScalarAsync<int>(again.ConnectionString, "SELECT x FROM kept"));
        }
    }

    [Fact]
    public async Task A_data_directory_too_long_for_a_socket_path_gets_a_short_private_socket_directory()
    {
        var deep = Path.Combine(_root, new string('d', 60), new string('e', 60));
        var launcher = Launcher(deep);
        Assert.StartsWith("/tmp/mailappliance-pg-", launcher.SocketDirectory, StringComparison.Ordinal);
        await using var lease = await launcher.AcquireAsync(CancellationToken.None);
        Assert.Equal(1, await ScalarAsync<int>(lease.ConnectionString, "SELECT 1"));
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(launcher.SocketDirectory));
    }

    [Fact]
    public async Task Missing_postgresql_binaries_say_how_to_install_them()
    {
        var empty = Path.Combine(_root, "no-bin");
        Directory.CreateDirectory(empty);
        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => Launcher(binDirectory: empty).AcquireAsync(CancellationToken.None));
        Assert.Contains("apt-get install postgresql", error.Message, StringComparison.Ordinal);
    }
}
