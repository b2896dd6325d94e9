using MailAppliance.Storage.Database;
using MailAppliance.Storage.Policies;

namespace MailAppliance.Smtp.Client.MtaSts;

/// <summary>
/// MTA-STS policies in PostgreSQL (<see cref="MtaStsPolicyTable"/>) behind an in-memory copy: they survive restarts
/// and are shared by every node. While the database is unreachable the memory copy serves and new policies are
/// kept there only (a lost write costs one more fetch later, never a delivery).
/// </summary>
public sealed class PersistentMtaStsPolicyStore(MtaStsPolicyTable table) : IMtaStsPolicyStore
{
    private readonly MemoryMtaStsPolicyStore _memory = new();

    public async Task<CachedMtaStsPolicy?> GetAsync(string domain, CancellationToken cancellationToken = default)
    {
        if (await _memory.GetAsync(domain, cancellationToken) is { } known)
        {
            return known;
        }

        StoredMtaStsPolicy? stored;
        try
        {
            stored = await table.GetAsync(domain, cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            return null;
        }

        if (stored is null || !MtaStsPolicy.TryParse(stored.Policy, out var policy, out _))
        {
            return null;
        }

        var cached = new CachedMtaStsPolicy(stored.Domain, policy!, stored.PolicyId, stored.FetchedAt);
        await _memory.SetAsync(cached, cancellationToken);
        return cached;
    }

    public async Task SetAsync(CachedMtaStsPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        await _memory.SetAsync(policy, cancellationToken);
        try
        {
            await table.SetAsync(new StoredMtaStsPolicy(policy.Domain, policy.Id, policy.Policy.ToText(), policy.FetchedAt, policy.ExpiresAt), cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            // kept in memory; the next fetch after a restart costs one HTTPS request
        }
    }

    public async Task RemoveAsync(string domain, CancellationToken cancellationToken = default)
    {
        await _memory.RemoveAsync(domain, cancellationToken);
        try
        {
            await table.RemoveAsync(domain, cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            // the stored copy expires by itself
        }
    }
}
