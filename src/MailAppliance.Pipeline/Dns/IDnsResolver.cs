using System.Net;

namespace MailAppliance.Pipeline.Dns;

/// <summary>
/// The DNS as mail policy needs it. Names are given as A-labels, with or without the trailing dot, in any case.
/// Every method answers with a <see cref="DnsResult{T}"/>: failures are values, never exceptions. A cancelled
/// token ends the wait with <see cref="DnsStatus.Timeout"/> (the shared lookup goes on for other callers).
/// </summary>
public interface IDnsResolver
{
    Task<DnsResult<IPAddress>> LookupAAsync(string name, CancellationToken cancellationToken = default);

    Task<DnsResult<IPAddress>> LookupAaaaAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>MX records in the order received; sort by preference to route (RFC 5321 §5.1).</summary>
    Task<DnsResult<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>One string per TXT record, its character-strings joined without separator (RFC 7208 §3.3).</summary>
    Task<DnsResult<string>> LookupTxtAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>PTR records of <paramref name="address"/>'s reverse name (lower-case, no trailing dot).</summary>
    Task<DnsResult<string>> LookupPtrAsync(IPAddress address, CancellationToken cancellationToken = default);

    /// <summary>The CNAME target of <paramref name="name"/> itself (not followed further).</summary>
    Task<DnsResult<string>> LookupCnameAsync(string name, CancellationToken cancellationToken = default);

    Task<DnsResult<TlsaRecord>> LookupTlsaAsync(string name, CancellationToken cancellationToken = default);
}
