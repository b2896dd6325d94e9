using MailAppliance.Storage.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace MailAppliance.Testing;

/// <summary>A fresh, migrated database for one test class (use as <c>IClassFixture&lt;DatabaseFixture&gt;</c>).</summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    /// <summary>The handle Storage components are built on.</summary>
    public StorageDatabase Database { get; private set; } = null!;

    /// <summary>Raw SQL for tests that look at (or break) the rows behind Storage's back.</summary>
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await TestCluster.CreateDatabaseAsync();
        Database = await StorageDatabase.OpenAsync(ConnectionString, NullLoggerFactory.Instance, CancellationToken.None);
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Database.DisposeAsync();
        await DataSource.DisposeAsync();
    }
}
