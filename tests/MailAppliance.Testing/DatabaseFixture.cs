using MailAppliance.Storage.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace MailAppliance.Testing;

/// <summary>A fresh, migrated database for one test class (use as <c>IClassFixture&lt;DatabaseFixture&gt;</c>).</summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await TestCluster.CreateDatabaseAsync();
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        await new MigrationRunner(DataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await DataSource.DisposeAsync();
}
