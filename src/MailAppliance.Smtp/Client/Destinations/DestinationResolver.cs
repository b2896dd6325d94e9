using System.Net;
using System.Net.Sockets;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Smtp.Client.MtaSts;
using MailAppliance.Smtp.Protocol;
using DnsTlsa = MailAppliance.Pipeline.Dns.TlsaRecord;

namespace MailAppliance.Smtp.Client.Destinations;

/// <summary>Options of destination resolution.</summary>
public sealed record DestinationOptions
{
    /// <summary>The appliance's own names (<c>Hostname</c>): an MX naming us ends the list (RFC 5321 §5.1).</summary>
    public IReadOnlyList<string> LocalHostNames { get; init; } = [];

    /// <summary>Use DANE (RFC 7672) when the resolver authenticates TLSA records.</summary>
    public bool Dane { get; init; } = true;

    /// <summary>Use MTA-STS policies (RFC 8461) when a resolver for them is given.</summary>
    public bool MtaSts { get; init; } = true;

    /// <summary>Connect over IPv6 too (its addresses after the IPv4 ones of the same host).</summary>
    public bool UseIPv6 { get; init; } = true;

    /// <summary>MX hosts looked at (their addresses are fetched in parallel).</summary>
    public int MaxMxHosts { get; init; } = 10;
}

/// <summary>Where a domain's mail goes, or why it cannot go anywhere now (or ever).</summary>
/// <param name="Notes">What was found on the way (MTA-STS, DANE, skipped hosts), for the delivery log.</param>
public sealed record DestinationResult(SmtpTarget? Target, DestinationFailure? Failure, IReadOnlyList<string> Notes)
{
    public static DestinationResult Fail(bool permanent, EnhancedStatusCode code, string text, IReadOnlyList<string> notes) =>
        new(null, new DestinationFailure(permanent, code, text), notes);
}

/// <summary>A domain that cannot be delivered to: permanent (bounce at once) or temporary (try again later).</summary>
public sealed record DestinationFailure(bool Permanent, EnhancedStatusCode StatusCode, string Diagnostic)
{
    public override string ToString() => $"{StatusCode} {Diagnostic}";
}

/// <summary>
/// Turns a recipient domain into an <see cref="SmtpTarget"/>: the route of <c>Delivery:Routes</c> (a smarthost, or
/// MX), MX records in preference order with A/AAAA fallback (RFC 5321 §5.1), null MX (RFC 7505), and per host the
/// TLS policy: DANE when TLSA records are authenticated (RFC 7672; preferred over MTA-STS, RFC 8461 §2), MTA-STS
/// enforce when the domain publishes it, opportunistic TLS otherwise.
/// </summary>
public sealed class DestinationResolver(IDnsResolver dns, DeliveryRouting routing, DestinationOptions? options = null, MtaStsResolver? mtaSts = null)
{
    private readonly DestinationOptions _options = options ?? new DestinationOptions();

    public Task<DestinationResult> ResolveAsync(string domain, CancellationToken cancellationToken = default) =>
        ResolveAsync(domain, recipientTlsPolicies: true, cancellationToken);

    /// <param name="recipientTlsPolicies">
    /// False for a message with <c>TLS-Required: No</c> (RFC 8689 §4.2.2): the recipient domain's MTA-STS and DANE
    /// policies are not looked up and its hosts get opportunistic TLS. A smarthost's configured policy still holds.
    /// </param>
    public async Task<DestinationResult> ResolveAsync(string domain, bool recipientTlsPolicies, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var name = domain.TrimEnd('.').ToLowerInvariant();
        return routing.RouteFor(name) switch
        {
            DeliveryRoute.SmarthostRoute smarthost => await SmarthostAsync(name, smarthost, cancellationToken),
            _ => await MxAsync(name, recipientTlsPolicies, cancellationToken),
        };
    }

    /// <summary>A <c>[host]:port</c> route: no MX lookup (the brackets say so), the host's addresses only.</summary>
    private async Task<DestinationResult> SmarthostAsync(string domain, DeliveryRoute.SmarthostRoute route, CancellationToken cancellationToken)
    {
        var settings = routing.SmarthostFor(route.Host);
        var port = route.Port ?? routing.Port;
        List<string> notes = [$"smarthost [{route.Host}]:{port} for {domain}"];
        IReadOnlyList<IPAddress> addresses;
        if (IPAddress.TryParse(route.Host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            var (found, failure) = await AddressesAsync(route.Host, cancellationToken);
            if (failure is not null)
            {
                return DestinationResult.Fail(failure.Permanent, failure.StatusCode, failure.Diagnostic, notes);
            }

            addresses = found;
        }

        var host = new SmtpHost(route.Host, addresses, settings.Tls);
        return new DestinationResult(new SmtpTarget($"[{route.Host}]:{port}", [host], port, settings.Credentials), null, notes);
    }

    private async Task<DestinationResult> MxAsync(string domain, bool recipientTlsPolicies, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        if (!recipientTlsPolicies)
        {
            notes.Add("TLS-Required: No: MTA-STS and DANE not applied (RFC 8689)");
        }

        var mtaStsTask = mtaSts is not null && _options.MtaSts && recipientTlsPolicies ? mtaSts.GetPolicyAsync(domain, cancellationToken) : Task.FromResult(new MtaStsLookup(null, ""));
        var mx = await dns.LookupMxAsync(domain, cancellationToken);
        List<MxRecord> exchanges;
        switch (mx.Status)
        {
            case DnsStatus.NxDomain:
                // RFC 5321 §5.1: a domain that does not exist has no mail; Postfix says the same with 5.1.2.
                return DestinationResult.Fail(true, new EnhancedStatusCode(5, 1, 2), $"Host or domain name not found. Name service error for name={domain} type=MX: Host not found", notes);
            case DnsStatus.ServerFailure or DnsStatus.Timeout:
                return DestinationResult.Fail(false, new EnhancedStatusCode(4, 4, 3), $"Host or domain name not found. Name service error for name={domain} type=MX: Host not found, try again ({mx.Error ?? mx.Status.ToString()})", notes);
            case DnsStatus.NoData:
                // RFC 5321 §5.1: no MX records: the domain itself is the implicit MX, preference 0.
                exchanges = [new MxRecord(0, domain)];
                notes.Add("no MX records: the domain's own addresses");
                break;
            default:
                var real = mx.Records.Where(r => !r.IsNull).ToList();
                if (real.Count == 0)
                {
                    // RFC 7505 §3: "0 ." alone says the domain accepts no mail.
                    return DestinationResult.Fail(true, new EnhancedStatusCode(5, 1, 10), $"Recipient address rejected: Domain {domain} has null MX (RFC 7505)", notes);
                }

                exchanges = Ordered(real);
                break;
        }

        // RFC 5321 §5.1: when we are one of the MX hosts, only those more preferred than we are may be used.
        var self = exchanges.FirstOrDefault(e => _options.LocalHostNames.Any(n => n.TrimEnd('.').Equals(e.Exchange, StringComparison.OrdinalIgnoreCase)));
        if (self is not null)
        {
            exchanges = [.. exchanges.Where(e => e.Preference < self.Preference)];
            if (exchanges.Count == 0)
            {
                return DestinationResult.Fail(true, new EnhancedStatusCode(5, 4, 6), $"mail for {domain} loops back to myself", notes);
            }
        }

        var mtaStsLookup = await mtaStsTask;
        if (mtaStsLookup.Note.Length > 0)
        {
            notes.Add(mtaStsLookup.Note);
        }

        var enforced = mtaStsLookup.Enforced;
        var hosts = new List<SmtpHost>();
        var temporary = new List<string>();
        var lookups = exchanges.Take(_options.MaxMxHosts).Select(e => HostAsync(domain, e.Exchange, enforced, recipientTlsPolicies, cancellationToken)).ToList();
        foreach (var (host, failure, note) in await Task.WhenAll(lookups))
        {
            if (note is not null)
            {
                notes.Add(note);
            }

            if (host is not null)
            {
                hosts.Add(host);
            }
            else if (failure is { Permanent: false })
            {
                temporary.Add(failure.Diagnostic);
            }
        }

        if (hosts.Count > 0)
        {
            return new DestinationResult(new SmtpTarget(domain, hosts, routing.Port), null, notes);
        }

        if (enforced is not null && exchanges.All(e => !enforced.Matches(e.Exchange)))
        {
            // RFC 8461 §4.2 (enforce): no MX matches the policy: do not deliver; try again later.
            return DestinationResult.Fail(false, SmtpClientFailures.TlsVerifyCode, $"no MX host of {domain} matches its MTA-STS policy (mx: {string.Join(", ", enforced.Mx)})", notes);
        }

        return temporary.Count > 0
            ? DestinationResult.Fail(false, new EnhancedStatusCode(4, 4, 3), temporary[0], notes)
            : DestinationResult.Fail(true, new EnhancedStatusCode(5, 4, 4), $"no address for any mail exchanger of {domain}", notes);
    }

    /// <summary>One MX host: its addresses and the TLS policy for it (DANE, MTA-STS enforce, or opportunistic).</summary>
    private async Task<(SmtpHost? Host, DestinationFailure? Failure, string? Note)> HostAsync(string domain, string exchange, MtaStsPolicy? enforced, bool dane, CancellationToken cancellationToken)
    {
        if (enforced is not null && !enforced.Matches(exchange))
        {
            return (null, null, $"MX {exchange} skipped: not in the MTA-STS policy");
        }

        var (addresses, failure, authenticated) = await AddressesWithAuthenticationAsync(exchange, cancellationToken);
        if (failure is not null)
        {
            return (null, failure, $"MX {exchange}: {failure.Diagnostic}");
        }

        var tls = enforced?.TlsPolicyFor(exchange) ?? TlsPolicy.Opportunistic;
        string? note = null;
        if (_options.Dane && dane && authenticated)
        {
            // RFC 7672 §2.2: TLSA records count only when the resolver vouches for them (AD bit).
            var tlsa = await dns.LookupTlsaAsync($"_{routing.Port}._tcp.{exchange}", cancellationToken);
            if (tlsa.HasRecords && tlsa.Authenticated)
            {
                tls = TlsPolicy.Dane([.. tlsa.Records.Select(Convert)], exchange, domain);
                note = $"MX {exchange}: DANE with {tlsa.Records.Count} TLSA record(s)";
            }
            else if (tlsa.IsTemporaryFailure)
            {
                // RFC 7672 §2.2: a TLSA lookup that fails in a signed zone may hide a downgrade: this host waits.
                return (null, new DestinationFailure(false, new EnhancedStatusCode(4, 7, 5), $"TLSA lookup for {exchange} failed: {tlsa}"), $"MX {exchange}: TLSA lookup failed");
            }
        }

        return (new SmtpHost(exchange, addresses, tls), null, note);
    }

    private async Task<(IReadOnlyList<IPAddress> Addresses, DestinationFailure? Failure)> AddressesAsync(string host, CancellationToken cancellationToken)
    {
        var (addresses, failure, _) = await AddressesWithAuthenticationAsync(host, cancellationToken);
        return (addresses, failure);
    }

    /// <summary>A and AAAA of a host, IPv4 first; temporary when either lookup failed and nothing was found.</summary>
    private async Task<(IReadOnlyList<IPAddress> Addresses, DestinationFailure? Failure, bool Authenticated)> AddressesWithAuthenticationAsync(string host, CancellationToken cancellationToken)
    {
        var aTask = dns.LookupAAsync(host, cancellationToken);
        var aaaaTask = _options.UseIPv6 ? dns.LookupAaaaAsync(host, cancellationToken) : Task.FromResult(new DnsResult<IPAddress> { Status = DnsStatus.NoData });
        var (a, aaaa) = (await aTask, await aaaaTask);
        var addresses = a.Records.Concat(aaaa.Records.Where(x => x.AddressFamily == AddressFamily.InterNetworkV6)).ToList();
        if (addresses.Count > 0)
        {
            return (addresses, null, a.HasRecords ? a.Authenticated : aaaa.Authenticated);
        }

        if (a.IsTemporaryFailure || aaaa.IsTemporaryFailure)
        {
            return ([], new DestinationFailure(false, new EnhancedStatusCode(4, 4, 3), $"Host or domain name not found. Name service error for name={host} type=A: Host not found, try again"), false);
        }

        return ([], new DestinationFailure(true, new EnhancedStatusCode(5, 1, 2), $"Host or domain name not found. Name service error for name={host} type=A: Host not found"), false);
    }

    /// <summary>RFC 5321 §5.1: by preference, and in random order among equal preferences (to spread the load).</summary>
    private static List<MxRecord> Ordered(IEnumerable<MxRecord> records) =>
        [.. records.GroupBy(r => r.Preference).OrderBy(g => g.Key).SelectMany(g => g.OrderBy(_ => Random.Shared.Next()))];

    private static TlsaRecord Convert(DnsTlsa record) =>
        new((TlsaUsage)record.CertificateUsage, (TlsaSelector)record.Selector, (TlsaMatching)record.MatchingType, record.Data.ToArray());
}
