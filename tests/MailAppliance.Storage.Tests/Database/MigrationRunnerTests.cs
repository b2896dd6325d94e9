using MailAppliance.Storage.Database;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MailAppliance.Storage.Tests.Database;

public class MigrationRunnerTests
{
    [Fact]
    public async Task A_fresh_database_gets_every_migration_in_order()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestCluster.CreateDatabaseAsync());
        var applied = await Runner(dataSource).ApplyAsync(CancellationToken.None);

        Assert.Equal(MigrationRunner.Embedded.Select(m => m.Version), applied);
        Assert.Equal(applied, await RecordedVersionsAsync(dataSource));
        Assert.True(await TableExistsAsync(dataSource, "domains"));
        Assert.True(await TableExistsAsync(dataSource, "alias_targets"));
    }

    [Fact]
    public async Task Running_again_applies_nothing_and_changes_nothing()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestCluster.CreateDatabaseAsync());
        await Runner(dataSource).ApplyAsync(CancellationToken.None);
        await using (var insert = dataSource.CreateCommand("INSERT INTO domains (name) VALUES ('kept.test')"))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var second = await Runner(dataSource).ApplyAsync(CancellationToken.None);

        Assert.Empty(second);
        await using var count = dataSource.CreateCommand("SELECT count(*) FROM domains");
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Several_processes_starting_at_once_apply_each_migration_exactly_once()
    {
        var connectionString = await TestCluster.CreateDatabaseAsync();
        var sources = Enumerable.Range(0, 6).Select(_ => NpgsqlDataSource.Create(connectionString)).ToList();
        try
        {
            var results = await Task.WhenAll(sources.Select(s => Task.Run(() => Runner(s).ApplyAsync(CancellationToken.None))));

            Assert.Equal(MigrationRunner.Embedded.Count, results.Sum(r => r.Count));
            Assert.Equal(MigrationRunner.Embedded.Select(m => m.Version), await RecordedVersionsAsync(sources[0]));
        }
        finally
        {
            foreach (var s in sources)
            {
                await s.DisposeAsync();
            }
        }
    }

    [Fact]
    public void Embedded_migrations_are_numbered_uniquely_from_one()
    {
        Assert.NotEmpty(MigrationRunner.Embedded);
        Assert.Equal(1, MigrationRunner.Embedded[0].Version);
        Assert.Equal(MigrationRunner.Embedded.Count, MigrationRunner.Embedded.Select(m => m.Version).Distinct().Count());
    }

    [Fact]
    public async Task A_failing_migration_leaves_no_trace_of_itself()
    {
        // Each migration runs in its own transaction: prove the mechanism with a statement that fails half-way.
        await using var dataSource = NpgsqlDataSource.Create(await TestCluster.CreateDatabaseAsync());
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var ok = new NpgsqlCommand("CREATE TABLE half_done (x int)", connection, transaction);
            await ok.ExecuteNonQueryAsync();
            await using var bad = new NpgsqlCommand("CREATE TABLE half_done (x int)", connection, transaction);
            await Assert.ThrowsAsync<PostgresException>(() => bad.ExecuteNonQueryAsync());
        }

        Assert.False(await TableExistsAsync(dataSource, "half_done"));
    }

    private static MigrationRunner Runner(NpgsqlDataSource dataSource) => new(StorageDatabase.Create(dataSource.ConnectionString), NullLogger<MigrationRunner>.Instance);

    private static async Task<List<int>> RecordedVersionsAsync(NpgsqlDataSource dataSource)
    {
        var versions = new List<int>();
        await using var command = dataSource.CreateCommand("SELECT version FROM schema_migrations ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private static async Task<bool> TableExistsAsync(NpgsqlDataSource dataSource, string table)
    {
        await using var command = dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
        command.Parameters.AddWithValue(table);
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
