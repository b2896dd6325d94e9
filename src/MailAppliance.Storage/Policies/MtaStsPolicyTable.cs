using Dapper;
using MailAppliance.Storage.Database;

namespace MailAppliance.Storage.Policies;

/// <summary>One stored MTA-STS policy: its domain, record id, text, and when it was fetched and expires.</summary>
public sealed record StoredMtaStsPolicy(string Domain, string PolicyId, string Policy, DateTimeOffset FetchedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// The <c>mta_sts_policies</c> table: MTA-STS policies by recipient domain (RFC 8461 §5.1 asks senders to keep them
/// until max_age runs out). Every node of a cluster shares them. Database errors are exceptions that
/// <see cref="StorageFailures.IsTemporary"/> recognises; callers treat them as a cache miss.
/// </summary>
public sealed class MtaStsPolicyTable(StorageDatabase database)
{
    public async Task<StoredMtaStsPolicy?> GetAsync(string domain, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.Source.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Domain, string PolicyId, string Policy, DateTime FetchedAt, DateTime ExpiresAt)?>(new CommandDefinition(
            "SELECT domain, policy_id, policy, fetched_at, expires_at FROM mta_sts_policies WHERE domain = @domain",
            new { domain = domain.ToLowerInvariant() }, cancellationToken: cancellationToken));
        return row is { } r ? new StoredMtaStsPolicy(r.Domain, r.PolicyId, r.Policy, Utc(r.FetchedAt), Utc(r.ExpiresAt)) : null;
    }

    public async Task SetAsync(StoredMtaStsPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        await using var connection = await database.Source.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO mta_sts_policies (domain, policy_id, policy, fetched_at, expires_at)
            VALUES (@Domain, @PolicyId, @Policy, @FetchedAt, @ExpiresAt)
            ON CONFLICT (domain) DO UPDATE
            SET policy_id = excluded.policy_id, policy = excluded.policy, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at
            WHERE mta_sts_policies.fetched_at <= excluded.fetched_at
            """,
            new
            {
                Domain = policy.Domain.ToLowerInvariant(),
                policy.PolicyId,
                policy.Policy,
                FetchedAt = policy.FetchedAt.UtcDateTime,
                ExpiresAt = policy.ExpiresAt.UtcDateTime,
            },
            cancellationToken: cancellationToken));
    }

    public async Task RemoveAsync(string domain, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.Source.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM mta_sts_policies WHERE domain = @domain", new { domain = domain.ToLowerInvariant() }, cancellationToken: cancellationToken));
    }

    /// <summary>Removes policies that expired before <paramref name="now"/>; returns how many.</summary>
    public async Task<int> RemoveExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.Source.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM mta_sts_policies WHERE expires_at < @now", new { now = now.UtcDateTime }, cancellationToken: cancellationToken));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
