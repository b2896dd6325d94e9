using System.Net;
using MailAppliance.Pipeline.Dns;

namespace MailAppliance.Pipeline.Scoring.Checks;

/// <summary>
/// DNSBL/DNSWL on the client address and URIBL on the registered domains of the message's URIs (<c>Spam:Dnsbl</c>).
/// A listing is an A record under the zone (RFC 5782 §2); NXDOMAIN is "not listed". Lookups go through the
/// appliance's resolver, which caches them.
/// </summary>
public sealed class DnsListCheck
{
    /// <summary>URI domains looked up per message at most.</summary>
    public const int MaxUriDomains = 20;

    private readonly IReadOnlyList<DnsList> _lists;
    private readonly IDnsResolver _resolver;
    private readonly Func<string, string> _registeredDomain;

    /// <param name="lists">The zones and weights.</param>
    /// <param name="resolver">The appliance's resolver (it caches answers, failures briefly).</param>
    /// <param name="registeredDomain">The name a host was registered under (the Public Suffix List's organisational domain).</param>
    public DnsListCheck(IReadOnlyList<DnsList> lists, IDnsResolver resolver, Func<string, string>? registeredDomain = null)
    {
        _lists = lists;
        _resolver = resolver;
        _registeredDomain = registeredDomain ?? UriExtractor.RegisteredDomain;
    }

    private async Task<DnsListAnswer> LookupAsync(string name, CancellationToken cancellationToken)
    {
        var result = await _resolver.LookupAAsync(name, cancellationToken);
        // RFC 5782 §2.1: listed means an A record (127.0.0.0/8 by convention); a return of 127.255.255.x is the
        // list refusing the query (Spamhaus: via an open resolver or over quota), never a listing.
        if (result.HasRecords)
        {
            return result.Records.Any(a => a.GetAddressBytes() is [127, var b, _, _] && b != 255) ? DnsListAnswer.Listed : DnsListAnswer.Failed;
        }

        return result.IsTemporaryFailure ? DnsListAnswer.Failed : DnsListAnswer.NotListed;
    }

    public async Task<IReadOnlyList<SpamSymbol>> CheckAsync(IPAddress? client, MessageContent content, CancellationToken cancellationToken)
    {
        var queries = new List<(DnsList List, string Name)>();
        foreach (var list in _lists.Where(l => !l.Uri))
        {
            if (client is not null && !IPAddress.IsLoopback(client) && ReversedName(client) is { } reversed)
            {
                queries.Add((list, reversed + "." + list.Zone));
            }
        }

        var domains = content.Uris.Select(UriExtractor.Host).Where(h => h is not null && !UriExtractor.IsAddress(h))
            .Select(h => _registeredDomain(h!)).Distinct(StringComparer.Ordinal).Take(MaxUriDomains).ToList();
        foreach (var list in _lists.Where(l => l.Uri))
        {
            queries.AddRange(domains.Select(d => (list, d + "." + list.Zone)));
        }

        var answers = await Task.WhenAll(queries.Select(async q => (q.List, Answer: await LookupAsync(q.Name, cancellationToken))));
        var symbols = new List<SpamSymbol>();
        foreach (var group in answers.GroupBy(a => a.List))
        {
            if (group.Any(a => a.Answer == DnsListAnswer.Listed))
            {
                symbols.Add(new SpamSymbol(group.Key.Symbol, group.Key.Weight));
            }
            else if (group.Any(a => a.Answer == DnsListAnswer.Failed))
            {
                symbols.Add(new SpamSymbol(group.Key.Symbol + "_TEMPERROR", 0));
            }
        }

        return symbols;
    }

    /// <summary>RFC 5782 §2.1 (IPv4: octets reversed) and §2.4 (IPv6: nibbles reversed).</summary>
    public static string? ReversedName(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        if (bytes.Length == 4)
        {
            return $"{bytes[3]}.{bytes[2]}.{bytes[1]}.{bytes[0]}";
        }

        return string.Join('.', bytes.Reverse().SelectMany(b => new[] { (b & 0xF).ToString("x", System.Globalization.CultureInfo.InvariantCulture), (b >> 4).ToString("x", System.Globalization.CultureInfo.InvariantCulture) }));
    }
}

/// <summary>What one DNS list lookup said.</summary>
public enum DnsListAnswer
{
    NotListed,
    Listed,

    /// <summary>SERVFAIL or time-out: the list could not say.</summary>
    Failed,
}
