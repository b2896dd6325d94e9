using System.Collections.Concurrent;

namespace MailAppliance.Smtp.Client.MtaSts;

/// <summary>A cached policy: the policy, the record id it was fetched under, and when it was fetched.</summary>
public sealed record CachedMtaStsPolicy(string Domain, MtaStsPolicy Policy, string Id, DateTimeOffset FetchedAt)
{
    /// <summary>RFC 8461 §5.1: a policy may be used until max_age after it was fetched.</summary>
    public DateTimeOffset ExpiresAt => FetchedAt + Policy.MaxAge;

    public bool IsValidAt(DateTimeOffset now) => now < ExpiresAt;
}

/// <summary>Where fetched policies are kept between deliveries (RFC 8461 §5.1: they must outlive DNS answers).</summary>
public interface IMtaStsPolicyStore
{
    Task<CachedMtaStsPolicy?> GetAsync(string domain, CancellationToken cancellationToken = default);

    Task SetAsync(CachedMtaStsPolicy policy, CancellationToken cancellationToken = default);

    Task RemoveAsync(string domain, CancellationToken cancellationToken = default);
}

/// <summary>Policies in memory, for one process (a restart fetches them again).</summary>
public sealed class MemoryMtaStsPolicyStore : IMtaStsPolicyStore
{
    private readonly ConcurrentDictionary<string, CachedMtaStsPolicy> _policies = new(StringComparer.OrdinalIgnoreCase);

    public Task<CachedMtaStsPolicy?> GetAsync(string domain, CancellationToken cancellationToken = default) =>
        Task.FromResult(_policies.TryGetValue(domain, out var policy) ? policy : null);

    public Task SetAsync(CachedMtaStsPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policies[policy.Domain] = policy;
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string domain, CancellationToken cancellationToken = default)
    {
        _policies.TryRemove(domain, out _);
        return Task.CompletedTask;
    }
}
