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
            TuneForShortStatements(builder.ConnectionStringBuilder, connectionString);
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

    /// <summary>
    /// The appliance sends the same few dozen short statements thousands of times a second: they are prepared
    /// automatically once seen twice, so PostgreSQL parses and plans each once per connection instead of per call
    /// (Npgsql keeps prepared statements across the reset of a pooled connection). An explicit setting in
    /// <c>ConnectionStrings:Metadata</c> wins.
    /// </summary>
    public static void TuneForShortStatements(NpgsqlConnectionStringBuilder settings, string given)
    {
        if (!given.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase) && !given.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            settings.MaxAutoPrepare = 256;
            settings.AutoPrepareMinUsages = 2;
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
