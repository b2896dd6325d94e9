using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

namespace MailAppliance.Pipeline.Dns;

/// <summary>
/// <see cref="IDnsResolver"/> on the DnsClient package: UDP with TCP when an answer comes back truncated (RFC 7766
/// §5), servers from <c>Dns:Servers</c> or /etc/resolv.conf, a time-out per try, a cache of its own that honours
/// TTLs and caches denials for the SOA's negative TTL (RFC 2308 §5), and one shared lookup for concurrent askers of
/// the same question. DnsClient's own cache stays off: it cannot cache NXDOMAIN by the SOA, and it reads the clock
/// itself where tests need to move it.
/// </summary>
public sealed class DnsResolver : IDnsResolver
{
    // RFC 1034 §3.6.2 leaves the chain length open; resolvers stop around 8 to 16 links.
    private const int MaxCnameChain = 16;

    private readonly LookupClient _client;
    private readonly DnsResolverOptions _options;
    private readonly DnsCache? _cache;
    private readonly ConcurrentDictionary<(string Name, int Type), Lazy<Task<object>>> _inFlight = new();

    public DnsResolver(DnsResolverOptions options, TimeProvider? time = null)
    {
        _options = options;
        Servers = options.Servers.Count > 0 ? options.Servers : SystemServers(options.ResolvConfPath);
        _client = new LookupClient(new LookupClientOptions(Servers.Select(s => new NameServer(s)).ToArray())
        {
            UseCache = false,
            Timeout = options.Timeout,
            Retries = Math.Max(0, options.Attempts - 1),
            UseTcpFallback = true,
            ThrowDnsErrors = false,
            ContinueOnDnsError = true,
            ContinueOnEmptyResponse = false,
            UseRandomNameServer = false,
            RequestDnsSecRecords = options.RequestDnssec,
            EnableAuditTrail = false,
        });
        if (options.UseCache)
        {
            _cache = new DnsCache(time ?? TimeProvider.System, options.MaxCacheEntries);
        }
    }

    /// <summary>The servers asked, in order.</summary>
    public IReadOnlyList<IPEndPoint> Servers { get; }

    public Task<DnsResult<IPAddress>> LookupAAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.A, r => (r as ARecord)?.Address, cancellationToken);

    public Task<DnsResult<IPAddress>> LookupAaaaAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.AAAA, r => (r as AaaaRecord)?.Address, cancellationToken);

    public Task<DnsResult<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.MX, r => r is DnsClient.Protocol.MxRecord mx ? new MxRecord(mx.Preference, Host(mx.Exchange)) : null, cancellationToken);

    public Task<DnsResult<string>> LookupTxtAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.TXT, r => r is TxtRecord txt ? string.Concat(txt.Text) : null, cancellationToken);

    public Task<DnsResult<string>> LookupPtrAsync(IPAddress address, CancellationToken cancellationToken = default) =>
        QueryAsync(DnsNames.ReverseName(address), QueryType.PTR, r => r is PtrRecord ptr ? Host(ptr.PtrDomainName) : null, cancellationToken);

    public Task<DnsResult<string>> LookupCnameAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.CNAME, r => r is CNameRecord cname ? Host(cname.CanonicalName) : null, cancellationToken);

    public Task<DnsResult<TlsaRecord>> LookupTlsaAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.TLSA, r => r is DnsClient.Protocol.TlsaRecord t
            ? new TlsaRecord((byte)t.CertificateUsage, (byte)t.Selector, (byte)t.MatchingType, t.CertificateAssociationData.ToArray())
            : null, cancellationToken);

    /// <summary>Forgets every cached answer.</summary>
    public void ClearCache() => _cache?.Clear();

    private async Task<DnsResult<T>> QueryAsync<T>(string name, QueryType type, Func<DnsResourceRecord, T?> select, CancellationToken cancellationToken)
        where T : class
    {
        if (!DnsNames.TryNormalize(name, out var qname))
        {
            return new DnsResult<T> { Status = DnsStatus.NxDomain, Error = $"malformed name '{name}'" };
        }

        var key = (qname, (int)type);
        if (_cache is not null && _cache.TryGet(qname, (int)type, out var cached))
        {
            return (DnsResult<T>)cached;
        }

        var lookup = _inFlight.GetOrAdd(key, _ => new Lazy<Task<object>>(() => ResolveAsync(qname, type, select)));
        try
        {
            return (DnsResult<T>)await lookup.Value.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new DnsResult<T> { Status = DnsStatus.Timeout, Error = "the caller stopped waiting" };
        }
        finally
        {
            if (lookup.Value.IsCompleted)
            {
                _inFlight.TryRemove(KeyValuePair.Create(key, lookup));
            }
        }
    }

    private async Task<object> ResolveAsync<T>(string qname, QueryType type, Func<DnsResourceRecord, T?> select)
        where T : class
    {
        await Task.Yield();
        DnsResult<T> result;
        TimeSpan ttl;
        try
        {
            var response = await _client.QueryAsync(new DnsQuestion(qname, type), CancellationToken.None);
            (result, ttl) = Interpret(qname, type, response, select);
        }
        catch (DnsResponseException e) when (e.Code == DnsResponseCode.ConnectionTimeout)
        {
            (result, ttl) = (Failure<T>(DnsStatus.Timeout, -1, $"no answer from {ServerList()} ({_options.Attempts} attempt(s) of {_options.Timeout.TotalSeconds:0.#} s)"), _options.FailureTtl);
        }
        catch (Exception e) when (e is DnsResponseException or SocketException or IOException or TimeoutException or OperationCanceledException or InvalidOperationException or ArgumentException)
        {
            var status = e is TimeoutException or OperationCanceledException ? DnsStatus.Timeout : DnsStatus.ServerFailure;
            var rcode = e is DnsResponseException dre && (int)dre.Code is > 0 and < 4096 ? (int)dre.Code : -1;
            (result, ttl) = (Failure<T>(status, rcode, $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}"), _options.FailureTtl);
        }

        _cache?.Set(qname, (int)type, result, ttl > _options.MaxTtl ? _options.MaxTtl : ttl);
        return result;
    }

    private (DnsResult<T> Result, TimeSpan Ttl) Interpret<T>(string qname, QueryType type, IDnsQueryResponse response, Func<DnsResourceRecord, T?> select)
        where T : class
    {
        var rcode = (int)response.Header.ResponseCode;
        var authenticated = response.Header.IsAuthenticData;
        if (rcode is not (0 or 3))
        {
            var from = response.NameServer is { } server ? $" from {server}" : "";
            return (Failure<T>(DnsStatus.ServerFailure, rcode, $"{RcodeName(rcode)}{from}") with { Authenticated = authenticated }, _options.FailureTtl);
        }

        // Follow the CNAME chain inside the answer (RFC 1034 §3.6.2): the records asked for belong to its end.
        var owner = qname;
        var ttl = int.MaxValue;
        if (type != QueryType.CNAME)
        {
            for (var i = 0; i < MaxCnameChain; i++)
            {
                var link = response.Answers.OfType<CNameRecord>().FirstOrDefault(c => Host(c.DomainName) == owner);
                if (link is null)
                {
                    break;
                }

                ttl = Math.Min(ttl, link.TimeToLive);
                owner = Host(link.CanonicalName);
            }
        }

        var records = new List<T>();
        foreach (var record in response.Answers)
        {
            if ((int)record.RecordType == (int)type && Host(record.DomainName) == owner && select(record) is { } value)
            {
                records.Add(value);
                ttl = Math.Min(ttl, record.TimeToLive);
            }
        }

        if (rcode == 0 && records.Count > 0)
        {
            return (new DnsResult<T> { Status = DnsStatus.Found, Records = records, Authenticated = authenticated, CanonicalName = owner, ResponseCode = 0 },
                TimeSpan.FromSeconds(Math.Max(0, ttl)));
        }

        // RFC 2308 §5: a denial is kept for the lesser of the SOA's TTL and its MINIMUM; without a SOA, not at all.
        var soa = response.Authorities.OfType<SoaRecord>().FirstOrDefault();
        var negativeTtl = soa is null ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min((long)soa.TimeToLive, soa.Minimum));
        var status = rcode == 3 ? DnsStatus.NxDomain : DnsStatus.NoData;
        return (new DnsResult<T> { Status = status, Authenticated = authenticated, CanonicalName = owner, ResponseCode = rcode }, negativeTtl);
    }

    private DnsResult<T> Failure<T>(DnsStatus status, int rcode, string error) =>
        new() { Status = status, ResponseCode = rcode, Error = error };

    private string ServerList() => string.Join(", ", Servers);

    private static string RcodeName(int rcode) => rcode switch
    {
        1 => "FORMERR",
        2 => "SERVFAIL",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => $"RCODE {rcode}",
    };

    // DnsClient may hand names back as U-labels; compare and report them as lower-case A-labels like ours.
    private static string Host(DnsString name) =>
        DnsNames.TryNormalize(name.Value, out var normalized) ? normalized : name.Value.TrimEnd('.').ToLowerInvariant();

    private static IReadOnlyList<IPEndPoint> SystemServers(string resolvConf)
    {
        try
        {
            var servers = DnsServerAddress.FromResolvConf(File.ReadAllText(resolvConf));
            if (servers.Count > 0)
            {
                return servers;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // resolv.conf(5): without the file, or without nameserver lines, the local host is asked.
        }

        return [new IPEndPoint(IPAddress.Loopback, DnsServerAddress.DefaultPort)];
    }
}
