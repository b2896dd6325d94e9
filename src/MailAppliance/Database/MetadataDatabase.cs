using MailAppliance.Configuration;
using MailAppliance.Storage.Database;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MailAppliance.Database;

/// <summary>
/// The metadata database for this process: the external server named by <c>ConnectionStrings:Metadata</c>, or the
/// embedded cluster (started if needed, shared with other processes). Opening also brings the schema up to date.
/// </summary>
public sealed class MetadataDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgresLease? _lease;

    private MetadataDatabase(NpgsqlDataSource dataSource, EmbeddedPostgresLease? lease)
    {
        DataSource = dataSource;
        _lease = lease;
    }

    public NpgsqlDataSource DataSource { get; }

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
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            builder.UseLoggerFactory(loggers);
            var dataSource = builder.Build();
            try
            {
                await new MigrationRunner(dataSource, loggers.CreateLogger<MigrationRunner>()).ApplyAsync(cancellationToken);
            }
            catch
            {
                await dataSource.DisposeAsync();
                throw;
            }

            return new MetadataDatabase(dataSource, lease);
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
        await DataSource.DisposeAsync();
        if (_lease is not null)
        {
            await _lease.DisposeAsync();
        }
    }
}
