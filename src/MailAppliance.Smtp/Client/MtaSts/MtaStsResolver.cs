using System.Collections.Concurrent;
using MailAppliance.Pipeline.Dns;

namespace MailAppliance.Smtp.Client.MtaSts;

/// <summary>
/// The MTA-STS policy in force for a recipient domain (RFC 8461 §3 and §5.1): the <c>_mta-sts</c> TXT record says
/// whether there is one and under which id; a cached policy is used while it is valid and its id unchanged;
/// otherwise it is fetched again. When the record is missing or the fetch fails, a cached, unexpired policy stays in
/// force: that is what protects against an attacker who strips the record or blocks the fetch.
/// </summary>
public sealed class MtaStsResolver(IDnsResolver dns, MtaStsFetcher fetcher, IMtaStsPolicyStore store, TimeProvider? timeProvider = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Task<MtaStsLookup>> _inFlight = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The policy for <paramref name="domain"/> (null: none), with a note for the delivery log.</summary>
    public Task<MtaStsLookup> GetPolicyAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var key = domain.TrimEnd('.').ToLowerInvariant();

        // Deliveries to one domain that start together share one lookup (and at most one HTTPS fetch).
        var task = _inFlight.GetOrAdd(key, k => LookupAsync(k, CancellationToken.None)); // bounded by the DNS and fetch time-outs
        if (task.IsCompleted)
        {
            _inFlight.TryRemove(new KeyValuePair<string, Task<MtaStsLookup>>(key, task));
        }
        else
        {
            _ = task.ContinueWith(t => _inFlight.TryRemove(new KeyValuePair<string, Task<MtaStsLookup>>(key, t)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return task.WaitAsync(cancellationToken);
    }

    private async Task<MtaStsLookup> LookupAsync(string domain, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var now = _time.GetUtcNow();
        var cached = await store.GetAsync(domain, cancellationToken);
        var valid = cached is not null && cached.IsValidAt(now) ? cached : null;
        var txt = await dns.LookupTxtAsync("_mta-sts." + domain, cancellationToken);
        var record = txt.HasRecords ? MtaStsRecord.FromTxt(txt.Records) : null;
        if (record is null)
        {
            // RFC 8461 §5.1: no (valid) record, or the lookup failed: a cached policy still applies until it expires.
            return valid is null
                ? new MtaStsLookup(null, txt.IsTemporaryFailure ? $"no MTA-STS policy (TXT lookup: {txt})" : "no MTA-STS policy")
                : new MtaStsLookup(valid.Policy, $"cached MTA-STS policy {valid.Id} (TXT record {(txt.IsTemporaryFailure ? "lookup failed" : "missing")})");
        }

        if (valid is not null && valid.Id == record.Id)
        {
            return new MtaStsLookup(valid.Policy, $"cached MTA-STS policy {valid.Id}");
        }

        var fetched = await fetcher.FetchAsync(domain, cancellationToken);
        if (fetched.Policy is { } policy)
        {
            await store.SetAsync(new CachedMtaStsPolicy(domain, policy, record.Id, _time.GetUtcNow()), cancellationToken);
            return new MtaStsLookup(policy, $"MTA-STS policy {record.Id} fetched");
        }

        // RFC 8461 §5.1: a failed fetch leaves the cached policy in force.
        return valid is null
            ? new MtaStsLookup(null, $"MTA-STS policy fetch failed: {fetched.Error}")
            : new MtaStsLookup(valid.Policy, $"cached MTA-STS policy {valid.Id} (fetch of {record.Id} failed: {fetched.Error})");
    }
}

/// <summary>A policy (or none) and how it was found, for the log.</summary>
public sealed record MtaStsLookup(MtaStsPolicy? Policy, string Note)
{
    /// <summary>The policy when it is one that changes delivery: enforce mode (testing and none only report).</summary>
    public MtaStsPolicy? Enforced => Policy is { Mode: MtaStsMode.Enforce } p ? p : null;
}
