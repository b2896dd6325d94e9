using Dapper;
using MailAppliance.Storage.Database;
using Npgsql;

namespace MailAppliance.Storage.Import;

/// <summary>A box poll: a remote IMAP or POP3 account fetched into a user's INBOX every so often (fetchmail's job).</summary>
public sealed record FetchAccount(
    long Id, long UserId, string User, string Protocol, string Host, int Port, string Security, string Login, string Password,
    int EverySeconds, bool Keep, DateTimeOffset NextRun, DateTimeOffset? LastRun, string? LastResult);

/// <summary>
/// The box polls in PostgreSQL (<c>fetch_accounts</c>, <c>fetch_seen</c>, migration 0040). A poll is claimed with a
/// lease so that one node at a time runs it and a dead node's claim runs out; what it fetched is remembered by the
/// remote id (POP3 UIDL, IMAP folder + UIDVALIDITY + UID) so nothing is fetched twice.
/// </summary>
public sealed class FetchAccountStore(StorageDatabase database)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);
    private readonly NpgsqlDataSource _db = database.Source;

    private const string Columns = """
        f.id, f.user_id AS UserId, a.display AS Address, f.protocol, f.host, f.port, f.security, f.login, f.password,
        f.every_seconds AS EverySeconds, f.keep, f.next_run AS NextRun, f.last_run AS LastRun, f.last_result AS LastResult
        """;

    /// <summary>Adds a poll, or replaces the one of the same user, protocol, host, port and login; returns its id.</summary>
    public async Task<long> AddAsync(long userId, string protocol, string host, int port, string security, string login, string password, int everySeconds, bool keep, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO fetch_accounts (user_id, protocol, host, port, security, login, password, every_seconds, keep)
            VALUES (@userId, @protocol, @host, @port, @security, @login, @password, @everySeconds, @keep)
            ON CONFLICT (user_id, protocol, host, port, login) DO UPDATE
              SET security = excluded.security, password = excluded.password, every_seconds = excluded.every_seconds, keep = excluded.keep, next_run = now()
            RETURNING id
            """, new { userId, protocol, host, port, security, login, password, everySeconds, keep }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<FetchAccount>> ListAsync(long? userId, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM fetch_accounts f JOIN addresses a ON a.id = f.user_id WHERE @userId::bigint IS NULL OR f.user_id = @userId ORDER BY a.display, f.id",
            new { userId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToAccount()).ToList();
    }

    /// <summary>Removes a user's polls of <paramref name="host"/> (all of them when null); how many went.</summary>
    public async Task<int> RemoveAsync(long userId, string? host, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM fetch_accounts WHERE user_id = @userId AND (@host::text IS NULL OR lower(host) = lower(@host))", new { userId, host }, cancellationToken: cancellationToken));
    }

    /// <summary>Claims the next poll that is due and not leased by a live node (its next run moves on at once).</summary>
    public async Task<FetchAccount?> ClaimDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"""
            WITH due AS (
              SELECT id FROM fetch_accounts
              WHERE next_run <= now() AND (lease_until IS NULL OR lease_until < now())
              ORDER BY next_run LIMIT 1 FOR UPDATE SKIP LOCKED)
            UPDATE fetch_accounts f SET lease_until = now() + @lease, next_run = now() + make_interval(secs => f.every_seconds)
            FROM due, addresses a WHERE f.id = due.id AND a.id = f.user_id
            RETURNING {Columns}
            """, new { lease = Lease }, cancellationToken: cancellationToken));
        return row?.ToAccount();
    }

    /// <summary>Ends a claim with what happened.</summary>
    public async Task FinishAsync(long id, string result, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE fetch_accounts SET lease_until = NULL, last_run = now(), last_result = @result WHERE id = @id", new { id, result }, cancellationToken: cancellationToken));
    }

    /// <summary>The remote ids among <paramref name="remoteIds"/> fetched before.</summary>
    public async Task<HashSet<string>> SeenAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var seen = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT remote_id FROM fetch_seen WHERE account_id = @id", new { id }, cancellationToken: cancellationToken));
        return seen.ToHashSet(StringComparer.Ordinal);
    }

    public async Task MarkSeenAsync(long id, IReadOnlyList<string> remoteIds, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO fetch_seen (account_id, remote_id) SELECT @id, unnest(@remoteIds) ON CONFLICT DO NOTHING",
            new { id, remoteIds = remoteIds.ToArray() }, cancellationToken: cancellationToken));
    }

    private sealed class Row
    {
        public long Id { get; init; }

        public long UserId { get; init; }

        public string Address { get; init; } = "";

        public string Protocol { get; init; } = "";

        public string Host { get; init; } = "";

        public int Port { get; init; }

        public string Security { get; init; } = "";

        public string Login { get; init; } = "";

        public string Password { get; init; } = "";

        public int EverySeconds { get; init; }

        public bool Keep { get; init; }

        public DateTime NextRun { get; init; }

        public DateTime? LastRun { get; init; }

        public string? LastResult { get; init; }

        public FetchAccount ToAccount() => new(Id, UserId, Address, Protocol, Host, Port, Security, Login, Password, EverySeconds, Keep,
            new DateTimeOffset(DateTime.SpecifyKind(NextRun, DateTimeKind.Utc)), LastRun is { } last ? new DateTimeOffset(DateTime.SpecifyKind(last, DateTimeKind.Utc)) : null, LastResult);
    }
}
