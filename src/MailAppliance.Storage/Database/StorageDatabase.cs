using Microsoft.Extensions.Logging;
using Npgsql;

namespace MailAppliance.Storage.Database;

/// <summary>
/// The metadata database as the rest of the appliance sees it: an opaque handle that every Storage component is built
/// on. Npgsql stays private to Storage (DESIGN.md: "the only project that knows PostgreSQL"); callers above it see
/// connection strings, this handle, result values and <see cref="StorageFailures"/>.
/// </summary>
public sealed class StorageDatabase : IAsyncDisposable
{
    private StorageDatabase(NpgsqlDataSource source, NpgsqlDataSource sessionSource, string connectionString)
    {
        Source = source;
        SessionSource = sessionSource;
        ConnectionString = connectionString;
        Notifications = new NotificationHub(sessionSource);
    }

    /// <summary>
    /// The pool every Storage component shares for statements that leave nothing behind in the session (transactions
    /// end with the statement or are rolled back when the connection is returned; settings are <c>SET LOCAL</c>). Its
    /// connections are not reset when returned: the reset was a seven-statement query PostgreSQL parsed and ran on
    /// every use, about a fifth of its CPU at SMTP intake.
    /// </summary>
    internal NpgsqlDataSource Source { get; }

    /// <summary>
    /// The pool for connections that keep state in the session: session-level advisory locks and <c>LISTEN</c>. Each
    /// is reset when returned (locks released, channels left), so a lock whose release failed never outlives its use.
    /// </summary>
    internal NpgsqlDataSource SessionSource { get; }

    /// <summary>The one LISTEN connection every <see cref="ChannelListener"/> of this handle shares.</summary>
    internal NotificationHub Notifications { get; }

    /// <summary>The connection string as given (for a second process or a test to reach the same database).</summary>
    public string ConnectionString { get; }

    /// <summary>A handle on the database; nothing is contacted until first use, and the schema is not touched.</summary>
    public static StorageDatabase Create(string connectionString, ILoggerFactory? loggers = null)
    {
        return new StorageDatabase(Build(connectionString, loggers, reset: false), Build(connectionString, loggers, reset: true), connectionString);
    }

    private static NpgsqlDataSource Build(string connectionString, ILoggerFactory? loggers, bool reset)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        TuneForShortStatements(builder.ConnectionStringBuilder, connectionString);
        builder.ConnectionStringBuilder.NoResetOnClose = !reset;

        if (loggers is not null)
        {
            builder.UseLoggerFactory(loggers);
        }

        return builder.Build();
    }

    /// <summary>Opens the database and brings its schema up to date (<see cref="MigrationRunner"/>).</summary>
    public static async Task<StorageDatabase> OpenAsync(string connectionString, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var database = Create(connectionString, loggers);
        try
        {
            await new MigrationRunner(database, loggers.CreateLogger<MigrationRunner>()).ApplyAsync(cancellationToken);
            return database;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The connection string of a cluster reached over a Unix socket in <paramref name="socketDirectory"/> (the
    /// embedded cluster): pooled, with the time-outs the appliance expects.
    /// </summary>
    public static string UnixSocketConnectionString(string socketDirectory, string user, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = socketDirectory,
        Username = user,
        Database = database,
        Pooling = true,
        MaxPoolSize = 50,
        Timeout = 15,
        CommandTimeout = 60,
        ApplicationName = "mailappliance",
    }.ConnectionString;

    /// <summary>
    /// Throws unless <paramref name="connection"/> came from <see cref="SessionSource"/>: a session-level lock taken on a
    /// connection that is not reset when returned would stay with the pooled connection if its release failed.
    /// </summary>
    internal static void EnsureResetOnReturn(NpgsqlConnection connection)
    {
        if (new NpgsqlConnectionStringBuilder(connection.ConnectionString).NoResetOnClose)
        {
            throw new InvalidOperationException("a session-level lock needs a connection from StorageDatabase.SessionSource");
        }
    }

    /// <summary>Creates <paramref name="database"/> on the server <paramref name="connectionString"/> reaches, unless it exists.</summary>
    public static async Task EnsureExistsAsync(string connectionString, string database, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        try
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {new NpgsqlCommandBuilder().QuoteIdentifier(database)} TEMPLATE template0 ENCODING 'UTF8'", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another process created it at the same moment.
        }
    }

    /// <summary>Drops every pooled connection of this process (after the cluster was stopped under them).</summary>
    public static void ClearAllPools() => NpgsqlConnection.ClearAllPools();

    /// <summary>True when a round trip to the database succeeds within <paramref name="timeout"/> (readiness).</summary>
    public async Task<bool> PingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await using var connection = await Source.OpenConnectionAsync(limit.Token);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            return await command.ExecuteScalarAsync(limit.Token) is 1;
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e) || e is OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// The appliance sends the same few dozen short statements thousands of times a second: they are prepared
    /// automatically once seen twice, so PostgreSQL parses and plans each once per connection instead of per call
    /// (Npgsql keeps prepared statements across the reset of a pooled connection). An explicit setting wins.
    /// </summary>
    internal static void TuneForShortStatements(NpgsqlConnectionStringBuilder settings, string given)
    {
        if (!given.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase) && !given.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            settings.MaxAutoPrepare = 256;
            settings.AutoPrepareMinUsages = 2;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Notifications.DisposeAsync();
        await Source.DisposeAsync();
        await SessionSource.DisposeAsync();
    }
}
