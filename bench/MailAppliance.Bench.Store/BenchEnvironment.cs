using MailAppliance.Core.Addresses;
using MailAppliance.Database;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MailAppliance.Bench.Store;

/// <summary>
/// What every verb runs against: a migrated database (the one given, or the embedded cluster under the data
/// directory, started here and stopped on dispose), the data directory, and the bench users in the directory.
/// </summary>
internal sealed class BenchEnvironment : IAsyncDisposable
{
    public const string Domain = "bench.test";

    private readonly EmbeddedPostgresLease? _lease;
    private readonly ILoggerFactory _loggers;

    private BenchEnvironment(string dataDirectory, StorageDatabase database, NpgsqlDataSource dataSource, EmbeddedPostgresLease? lease, ILoggerFactory loggers)
    {
        Database = database;
        DataDirectory = dataDirectory;
        DataSource = dataSource;
        _lease = lease;
        _loggers = loggers;
    }

    public string DataDirectory { get; }

    public StorageDatabase Database { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<BenchEnvironment> OpenAsync(string dataDirectory, string? connectionString, int connections, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        dataDirectory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(dataDirectory);

        // The embedded cluster runs as the postgres OS user when we are root: it must be able to pass through.
        File.SetUnixFileMode(dataDirectory, (UnixFileMode)0b111_101_101);
        EmbeddedPostgresLease? lease = null;
        if (connectionString is null)
        {
            lease = await new EmbeddedPostgres(dataDirectory, null, loggers.CreateLogger<EmbeddedPostgres>()).AcquireAsync(cancellationToken);
            connectionString = lease.ConnectionString;
        }

        try
        {
            // Every worker holds at most one connection at a time (plus short lookups): leave room for all of them.
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            builder.MaxPoolSize = Math.Max(builder.MaxPoolSize, (2 * connections) + 4);
            var database = await StorageDatabase.OpenAsync(builder.ConnectionString, loggers, cancellationToken); // as the appliance connects
            var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
            return new BenchEnvironment(dataDirectory, database, dataSource, lease, loggers);
        }
        catch
        {
            if (lease is not null)
            {
                await lease.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>A store of its own, as each appliance process (or delivery worker) has.</summary>
    public MailStore NewStore() =>
        new(Database, new MailstoreOptions(DataDirectory), TimeProvider.System, _loggers.CreateLogger<MailStore>());

    /// <summary>
    /// The users with these local parts in <see cref="Domain"/>, added to the directory when missing. Another
    /// process may be adding the same users at the same moment: whoever loses the race finds the winner's row.
    /// </summary>
    public async Task<IReadOnlyList<MailUser>> EnsureUsersAsync(IReadOnlyList<string> localParts, CancellationToken cancellationToken)
    {
        var directory = new AccountDirectory(Database);
        var domain = DomainName.Parse(Domain);
        try
        {
            await directory.AddDomainAsync(domain, cancellationToken);
        }
        catch (DirectoryException e) when (e.Error == DirectoryError.DomainExists)
        {
        }

        var existing = await ExistingUsersAsync(directory, domain, cancellationToken);
        var users = new List<MailUser>(localParts.Count);
        foreach (var localPart in localParts)
        {
            var address = MailAddress.Parse(localPart + "@" + Domain);
            if (!existing.TryGetValue(address.Key, out var id))
            {
                try
                {
                    id = await directory.AddUserAsync(address, passwordHash: null, quotaBytes: null, cancellationToken);
                }
                catch (DirectoryException e) when (e.Error == DirectoryError.AddressExists)
                {
                    existing = await ExistingUsersAsync(directory, domain, cancellationToken);
                    id = existing[address.Key];
                }
            }

            users.Add(new MailUser(id, address));
        }

        return users;
    }

    private static async Task<Dictionary<string, long>> ExistingUsersAsync(AccountDirectory directory, DomainName domain, CancellationToken cancellationToken) =>
        (await directory.ListUsersAsync(domain, cancellationToken)).ToDictionary(u => MailAddress.Parse(u.Address).Key, u => u.Id, StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
        if (_lease is not null)
        {
            await _lease.DisposeAsync();
        }
    }
}
