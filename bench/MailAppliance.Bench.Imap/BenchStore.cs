using MailAppliance.Storage.Database;
using MailAppliance.Core.Addresses;
using MailAppliance.Database;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MailAppliance.Bench.Imap;

/// <summary>
/// The appliance's database and store, opened beside a running (or stopped) <c>serve</c> as the admin verbs do:
/// a lease on the embedded cluster under the data directory. Used to prepare mailboxes only, never to measure.
/// </summary>
internal sealed class BenchStore : IAsyncDisposable
{
    private readonly EmbeddedPostgresLease _lease;

    private BenchStore(EmbeddedPostgresLease lease, StorageDatabase database, NpgsqlDataSource dataSource, MailStore store)
    {
        Database = database;
        _lease = lease;
        DataSource = dataSource;
        Store = store;
    }

    public StorageDatabase Database { get; }

    public NpgsqlDataSource DataSource { get; }

    public MailStore Store { get; }

    public static async Task<BenchStore> OpenAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        dataDirectory = Path.GetFullPath(dataDirectory);
        var loggers = NullLoggerFactory.Instance;
        var lease = await new EmbeddedPostgres(dataDirectory, null, loggers.CreateLogger<EmbeddedPostgres>()).AcquireAsync(cancellationToken);
        var builder = new NpgsqlConnectionStringBuilder(lease.ConnectionString) { CommandTimeout = 0 };
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var database = StorageDatabase.Create(builder.ConnectionString);
        var store = new MailStore(database, new MailstoreOptions(dataDirectory), TimeProvider.System, loggers.CreateLogger<MailStore>());
        return new BenchStore(lease, database, dataSource, store);
    }

    public async Task<MailUser> FindUserAsync(string address, CancellationToken cancellationToken)
    {
        var parsed = MailAddress.Parse(address);
        var users = await new AccountDirectory(Database).ListUsersAsync(null, cancellationToken);
        var entry = users.FirstOrDefault(u => MailAddress.Parse(u.Address).Key == parsed.Key)
            ?? throw new InvalidOperationException($"no user {address} (add it with `mailappliance user add` first)");
        return new MailUser(entry.Id, parsed);
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
        await _lease.DisposeAsync();
    }
}
