using Dapper;
using MailAppliance.Storage.Database;
using Npgsql;

namespace MailAppliance.Storage.Dkim;

/// <summary>One DKIM key in the index: where its private key lives, its public key record value, and its state.</summary>
public sealed record DkimKeyEntry(string Domain, string Selector, string Algorithm, string PublicKey, string KeyFile, bool Active, DateTimeOffset CreatedAt);

/// <summary>The DKIM key index in PostgreSQL (table <c>dkim_keys</c>). The key files are the caller's business.</summary>
public sealed class DkimKeyStore
{
    private readonly NpgsqlDataSource _dataSource;

    public DkimKeyStore(StorageDatabase database) => _dataSource = database.Source;

    /// <summary>Adds a key; false when the domain already has a key with this selector.</summary>
    public async Task<bool> AddAsync(string domain, string selector, string algorithm, string publicKey, string keyFile, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var added = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO dkim_keys (domain, selector, algorithm, public_key, key_file) VALUES (@domain, @selector, @algorithm, @publicKey, @keyFile)
            ON CONFLICT (domain, selector) DO NOTHING
            """, new { domain = domain.ToLowerInvariant(), selector, algorithm, publicKey, keyFile }, cancellationToken: cancellationToken));
        return added == 1;
    }

    public async Task<bool> ExistsAsync(string domain, string selector, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM dkim_keys WHERE domain = @domain AND selector = @selector)",
            new { domain = domain.ToLowerInvariant(), selector }, cancellationToken: cancellationToken));
    }

    /// <summary>Keys of one domain (or all domains), oldest first.</summary>
    public async Task<IReadOnlyList<DkimKeyEntry>> ListAsync(string? domain = null, bool activeOnly = false, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Domain, string Selector, string Algorithm, string PublicKey, string KeyFile, bool Active, DateTime CreatedAt)>(new CommandDefinition("""
            SELECT domain, selector, algorithm, public_key, key_file, active, created_at FROM dkim_keys
            WHERE (@domain::text IS NULL OR domain = @domain) AND (NOT @activeOnly OR active)
            ORDER BY domain, created_at, selector
            """, new { domain = domain?.ToLowerInvariant(), activeOnly }, cancellationToken: cancellationToken));
        return rows.Select(r => new DkimKeyEntry(r.Domain, r.Selector, r.Algorithm, r.PublicKey, r.KeyFile, r.Active,
            new DateTimeOffset(DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc)))).ToList();
    }

    /// <summary>Marks a key active or not (an inactive key stays published but signs nothing).</summary>
    public async Task<bool> SetActiveAsync(string domain, string selector, bool active, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE dkim_keys SET active = @active WHERE domain = @domain AND selector = @selector",
            new { domain = domain.ToLowerInvariant(), selector, active }, cancellationToken: cancellationToken)) == 1;
    }
}
