namespace MailAppliance.Pipeline.Dns;

/// <summary>
/// What a DNS question came back with. The five cases are the ones mail policy tells apart: MX routing bounces on
/// <see cref="NxDomain"/> but defers on <see cref="ServerFailure"/> and <see cref="Timeout"/>; SPF counts
/// <see cref="NoData"/> and <see cref="NxDomain"/> as void lookups (RFC 7208 §4.6.4); a DNSBL lists an address only
/// when it finds records.
/// </summary>
public enum DnsStatus
{
    /// <summary>RCODE NOERROR with at least one record of the asked type.</summary>
    Found,

    /// <summary>RCODE NOERROR without a record of the asked type: the name exists (RFC 2308 §2.2 "NODATA").</summary>
    NoData,

    /// <summary>RCODE NXDOMAIN: the name does not exist (RFC 2308 §2.1). A malformed name is answered so too.</summary>
    NxDomain,

    /// <summary>SERVFAIL or any other RCODE (REFUSED, FORMERR, ...), or a response that could not be read.</summary>
    ServerFailure,

    /// <summary>No answer in time from any server (or the caller gave up waiting).</summary>
    Timeout,
}
