using MailAppliance.Configuration;
using MailAppliance.Storage.Database;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Database;

/// <summary>
/// The metadata database for this process: the external server named by <c>ConnectionStrings:Metadata</c>, or the
/// embedded cluster (started if needed, shared with other processes). Opening also brings the schema up to date.
/// </summary>
public sealed class MetadataDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgresLease? _lease;

    private MetadataDatabase(StorageDatabase database, EmbeddedPostgresLease? lease)
    {
        Database = database;
        _lease = lease;
    }

    public StorageDatabase Database { get; }

    public bool IsEmbedded => _lease is not null;

    public static async Task<MetadataDatabase> OpenAsync(ApplianceOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        EmbeddedPostgresLease? lease = null;
        var connectionString = options.MetadataConnectionString;
        if (connectionString is null)
        {
            var embedded = new EmbeddedPostgres(options.Storage.DataDirectory, options.Storage.PostgresBinDirectory, loggers.CreateLogger<EmbeddedPostgres>());
            lease = await embedded.AcquireAsync(cancellationToken);
            connectionString = lease.ConnectionString;
        }

        try
        {
            return new MetadataDatabase(await StorageDatabase.OpenAsync(connectionString, loggers, cancellationToken), lease);
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

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        if (_lease is not null)
        {
            await _lease.DisposeAsync();
        }
    }
}
