using System.Net;

namespace MailAppliance.Pipeline.Dns;

/// <summary>How <see cref="DnsResolver"/> asks: which servers, how long it waits, how long it remembers.</summary>
public sealed record DnsResolverOptions
{
    /// <summary><c>Dns:Servers</c>; empty: the <c>nameserver</c> lines of /etc/resolv.conf.</summary>
    public IReadOnlyList<IPEndPoint> Servers { get; init; } = [];

    /// <summary>Wait for one answer (as resolv.conf's <c>timeout:</c>, whose default is 5 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Tries per server before the next one is asked (resolv.conf's <c>attempts:</c>, default 2).</summary>
    public int Attempts { get; init; } = 2;

    /// <summary>Keep answers for their TTL (and denials for the SOA's negative TTL, RFC 2308 §5).</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>No answer is kept longer than this, whatever its TTL (RFC 2308 §8: one day is a sensible ceiling).</summary>
    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// SERVFAIL and time-outs are remembered this long, so a flood of mail for a broken domain does not wait out the
    /// time-out once per message (RFC 9520 §3.2: at least 1 s, at most 5 min).
    /// </summary>
    public TimeSpan FailureTtl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Entries the cache holds at most; past that, expired entries go and then the oldest.</summary>
    public int MaxCacheEntries { get; init; } = 50_000;

    /// <summary>
    /// Set the DO bit (RFC 3225) so a validating resolver reports validation with the AD bit (RFC 6840 §5.7), as
    /// Postfix does with <c>smtp_dns_support_level = dnssec</c>.
    /// </summary>
    public bool RequestDnssec { get; init; } = true;

    /// <summary>Where servers come from when <see cref="Servers"/> is empty.</summary>
    public string ResolvConfPath { get; init; } = "/etc/resolv.conf";
}
