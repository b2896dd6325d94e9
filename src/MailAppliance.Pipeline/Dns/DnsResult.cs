namespace MailAppliance.Pipeline.Dns;

/// <summary>
/// The answer to one DNS question as a value: never an exception for a DNS failure. <see cref="Records"/> holds the
/// records of the asked type at the end of any CNAME chain, and is empty unless <see cref="Status"/> is
/// <see cref="DnsStatus.Found"/>.
/// </summary>
public sealed record DnsResult<T>
{
    public required DnsStatus Status { get; init; }

    public IReadOnlyList<T> Records { get; init; } = [];

    /// <summary>
    /// The resolver set the AD bit: it validated the answer with DNSSEC (RFC 4035 §3.2.3). Trusted only because the
    /// configured resolver is trusted, as Postfix does for DANE (RFC 7672 §2.1); a denial of existence can be
    /// authenticated too.
    /// </summary>
    public bool Authenticated { get; init; }

    /// <summary>The name the records belong to after following CNAMEs (the asked name when there were none).</summary>
    public string? CanonicalName { get; init; }

    /// <summary>The response's RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ...); -1 when none arrived.</summary>
    public int ResponseCode { get; init; } = -1;

    /// <summary>Why the lookup failed, for logs: "SERVFAIL from 192.0.2.53:53", "timed out after 2 attempts".</summary>
    public string? Error { get; init; }

    public bool HasRecords => Status == DnsStatus.Found;

    /// <summary>SERVFAIL or time-out: try again later (MX routing defers; SPF and DMARC give temperror).</summary>
    public bool IsTemporaryFailure => Status is DnsStatus.ServerFailure or DnsStatus.Timeout;

    /// <summary>NXDOMAIN or NODATA: what RFC 7208 §4.6.4 calls a void lookup.</summary>
    public bool IsVoid => Status is DnsStatus.NoData or DnsStatus.NxDomain;

    public override string ToString() =>
        Status == DnsStatus.Found ? $"{Status} [{string.Join(", ", Records)}]" : Error is null ? Status.ToString() : $"{Status} ({Error})";
}
