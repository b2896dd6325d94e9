using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailAppliance.Testing.Dns;

/// <summary>One question the server received, in arrival order.</summary>
public sealed record DnsQueryLogEntry(string Name, DnsType Type, DnsTransport Transport, bool DnssecOk);

/// <summary>
/// A DNS server of the test's own on 127.0.0.1 (UDP and TCP on one port), answering from zone data the test gives,
/// like a recursive resolver would: CNAME chains followed, NXDOMAIN and NODATA with a SOA for negative caching
/// (RFC 2308), wildcards (RFC 4592, simply), EDNS (RFC 6891), TC when an answer does not fit UDP (RFC 1035 §4.2.1),
/// the AD bit per zone (RFC 4035 §3.2.3). Faults on demand: an RCODE, a delay, no answer at all, forced truncation.
/// Every question is logged.
/// <code>
/// await using var dns = LoopbackDnsServer.Start();
/// dns.Mx("example.test", 10, "mx.example.test").A("mx.example.test", "127.0.0.1").Txt("example.test", "v=spf1 mx -all");
/// dns.ServFail("broken.test").Hang("slow.test");
/// ... Dns:Servers = dns.Address ...
/// Assert.Equal(1, dns.CountQueries("example.test", DnsType.MX));
/// </code>
/// Rules (RCODE, delay, hang, truncation) apply to the name given and, unless told otherwise, every name below it;
/// the AD bit applies to a zone and everything below it.
/// </summary>
public sealed partial class LoopbackDnsServer : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, List<ZoneRecord>> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Rule> _rules = [];
    private readonly HashSet<string> _authenticated = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _zones = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<DnsQueryLogEntry> _log = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly List<(Func<DnsQueryLogEntry, bool> Match, TaskCompletionSource<DnsQueryLogEntry> Done)> _waiters = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;

    private LoopbackDnsServer(Socket udp, TcpListener tcp, int port)
    {
        _udp = udp;
        _tcp = tcp;
        Endpoint = new IPEndPoint(IPAddress.Loopback, port);
        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(TcpLoopAsync);
    }

    public IPEndPoint Endpoint { get; }

    /// <summary><c>127.0.0.1:PORT</c>, the form <c>Dns:Servers</c> takes.</summary>
    public string Address => $"127.0.0.1:{Endpoint.Port}";

    /// <summary>TTL of records added without one.</summary>
    public int DefaultTtl { get; set; } = 300;

    /// <summary>The SOA's TTL and MINIMUM in negative answers, i.e. how long a denial may be cached (RFC 2308 §5).</summary>
    public int NegativeTtl { get; set; } = 300;

    /// <summary>Failures inside the server (a bug in it, or a question it could not answer), for tests to assert empty.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    /// <summary>Every question received so far, oldest first.</summary>
    public IReadOnlyList<DnsQueryLogEntry> Queries => [.. _log];

    public static LoopbackDnsServer Start()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = TestPorts.Take(1)[0];
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var tcp = new TcpListener(IPAddress.Loopback, port);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                tcp.Start();
                return new LoopbackDnsServer(udp, tcp, port);
            }
            catch (SocketException) when (attempt < 20)
            {
                udp.Dispose();
                tcp.Stop();
            }
        }
    }

    // ---- zone data -------------------------------------------------------------------------------------------

    public LoopbackDnsServer A(string name, string address, int? ttl = null) => AddAddress(name, IPAddress.Parse(address), DnsType.A, ttl);

    public LoopbackDnsServer Aaaa(string name, string address, int? ttl = null) => AddAddress(name, IPAddress.Parse(address), DnsType.AAAA, ttl);

    public LoopbackDnsServer Mx(string name, ushort preference, string exchange, int? ttl = null)
    {
        var rdata = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(rdata, preference);
        return Add(name, DnsType.MX, [.. rdata, .. DnsMessageWriter.EncodeName(exchange)], ttl, $"{preference} {exchange}");
    }

    /// <summary>RFC 7505: <c>MX 0 .</c></summary>
    public LoopbackDnsServer NullMx(string name, int? ttl = null) => Mx(name, 0, ".", ttl);

    /// <summary>One TXT record; text past 255 octets is split into several character-strings (RFC 1035 §3.3.14).</summary>
    public LoopbackDnsServer Txt(string name, string text, int? ttl = null)
    {
        var octets = Encoding.UTF8.GetBytes(text);
        var pieces = new List<byte[]>();
        for (var i = 0; i < octets.Length; i += 255)
        {
            pieces.Add(octets[i..Math.Min(octets.Length, i + 255)]);
        }

        return TxtPieces(name, pieces.Count == 0 ? [[]] : pieces, ttl, text);
    }

    /// <summary>One TXT record made of exactly these character-strings (each at most 255 octets).</summary>
    public LoopbackDnsServer TxtStrings(string name, params string[] strings) =>
        TxtPieces(name, strings.Select(Encoding.UTF8.GetBytes).ToList(), null, string.Join("|", strings));

    public LoopbackDnsServer Cname(string name, string target, int? ttl = null) =>
        Add(name, DnsType.CNAME, DnsMessageWriter.EncodeName(target), ttl, target);

    /// <summary>A PTR record at the reverse name of <paramref name="address"/>.</summary>
    public LoopbackDnsServer Ptr(IPAddress address, string host, int? ttl = null) => Ptr(ReverseName(address), host, ttl);

    public LoopbackDnsServer Ptr(string name, string host, int? ttl = null) =>
        Add(name, DnsType.PTR, DnsMessageWriter.EncodeName(host), ttl, host);

    public LoopbackDnsServer Tlsa(string name, byte usage, byte selector, byte matchingType, byte[] data, int? ttl = null) =>
        Add(name, DnsType.TLSA, [usage, selector, matchingType, .. data], ttl, $"{usage} {selector} {matchingType} {Convert.ToHexString(data)}");

    public LoopbackDnsServer Srv(string name, ushort priority, ushort weight, ushort port, string target, int? ttl = null)
    {
        var rdata = new byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(rdata, priority);
        BinaryPrimitives.WriteUInt16BigEndian(rdata.AsSpan(2), weight);
        BinaryPrimitives.WriteUInt16BigEndian(rdata.AsSpan(4), port);
        return Add(name, DnsType.SRV, [.. rdata, .. DnsMessageWriter.EncodeName(target)], ttl, $"{priority} {weight} {port} {target}");
    }

    /// <summary>Any record, its RDATA given as bytes (for types without a helper, or malformed data).</summary>
    public LoopbackDnsServer Record(string name, DnsType type, byte[] rdata, int? ttl = null) =>
        Add(name, type, rdata, ttl, Convert.ToHexString(rdata));

    /// <summary>Declares a zone apex: negative answers below it carry its SOA (otherwise the last two labels').</summary>
    public LoopbackDnsServer Zone(string apex)
    {
        lock (_gate)
        {
            _zones.Add(Key(apex));
        }

        return this;
    }

    /// <summary>Answers for <paramref name="zone"/> and below carry the AD bit (a validating resolver's "secure").</summary>
    public LoopbackDnsServer Authenticated(string zone, bool on = true)
    {
        lock (_gate)
        {
            _ = on ? _authenticated.Add(Key(zone)) : _authenticated.Remove(Key(zone));
        }

        return this;
    }

    /// <summary>Removes the records of <paramref name="name"/> (of one type, or all).</summary>
    public LoopbackDnsServer Remove(string name, DnsType? type = null)
    {
        lock (_gate)
        {
            if (_records.TryGetValue(Key(name), out var list))
            {
                list.RemoveAll(r => type is null || r.Type == type);
            }
        }

        return this;
    }

    /// <summary>Removes every record, rule and log entry.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _records.Clear();
            _rules.Clear();
            _authenticated.Clear();
            _zones.Clear();
        }

        _log.Clear();
    }

    // ---- faults ----------------------------------------------------------------------------------------------

    /// <summary>Answer questions for the name (and below), optionally of one type only, with this RCODE and no records.</summary>
    public LoopbackDnsServer Rcode(string name, DnsRcode rcode, DnsType? type = null, bool subdomains = true) =>
        AddRule(new Rule(Key(name), type, RuleKind.Rcode, rcode, TimeSpan.Zero, subdomains));

    public LoopbackDnsServer ServFail(string name, DnsType? type = null, bool subdomains = true) => Rcode(name, DnsRcode.ServFail, type, subdomains);

    /// <summary>NXDOMAIN even where records exist.</summary>
    public LoopbackDnsServer NxDomain(string name) => Rcode(name, DnsRcode.NxDomain);

    /// <summary>Answer only after <paramref name="delay"/>.</summary>
    public LoopbackDnsServer Delay(string name, TimeSpan delay, DnsType? type = null, bool subdomains = true) =>
        AddRule(new Rule(Key(name), type, RuleKind.Delay, DnsRcode.NoError, delay, subdomains));

    /// <summary>Never answer (the question is still logged).</summary>
    public LoopbackDnsServer Hang(string name, DnsType? type = null, bool subdomains = true) =>
        AddRule(new Rule(Key(name), type, RuleKind.Hang, DnsRcode.NoError, TimeSpan.Zero, subdomains));

    /// <summary>Answer over UDP with TC set and no records, so the client must ask again over TCP.</summary>
    public LoopbackDnsServer TruncateUdp(string name, DnsType? type = null, bool subdomains = true) =>
        AddRule(new Rule(Key(name), type, RuleKind.Truncate, DnsRcode.NoError, TimeSpan.Zero, subdomains));

    /// <summary>Drops every fault rule for <paramref name="name"/> (exactly that name).</summary>
    public LoopbackDnsServer Heal(string name)
    {
        lock (_gate)
        {
            _rules.RemoveAll(r => r.Name == Key(name));
        }

        return this;
    }

    // ---- the log ---------------------------------------------------------------------------------------------

    public int CountQueries(string name, DnsType? type = null, DnsTransport? transport = null) =>
        _log.Count(q => Matches(q, name, type) && (transport is null || q.Transport == transport));

    public void ClearLog() => _log.Clear();

    /// <summary>Completes when a question for <paramref name="name"/> (of <paramref name="type"/>) has arrived.</summary>
    public Task<DnsQueryLogEntry> WaitForQueryAsync(string name, DnsType? type = null, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource<DnsQueryLogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            var seen = _log.FirstOrDefault(q => Matches(q, name, type));
            if (seen is not null)
            {
                return Task.FromResult(seen);
            }

            _waiters.Add((q => Matches(q, name, type), done));
        }

        return done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
    }

    public static string ReverseName(IPAddress address)
    {
        var bytes = (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).GetAddressBytes();
        if (bytes.Length == 4)
        {
            return string.Join('.', bytes.Reverse().Select(b => b.ToString(CultureInfo.InvariantCulture))) + ".in-addr.arpa";
        }

        var nibbles = bytes.Reverse().SelectMany(b => new[] { b & 0xF, b >> 4 }).Select(n => "0123456789abcdef"[n]);
        return string.Join('.', nibbles) + ".ip6.arpa";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        try
        {
            await Task.WhenAll(_udpLoop, _tcpLoop);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private LoopbackDnsServer AddAddress(string name, IPAddress address, DnsType type, int? ttl)
    {
        var expected = type == DnsType.A ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        if (address.AddressFamily != expected)
        {
            throw new ArgumentException($"{address} is not an {type} address", nameof(address));
        }

        return Add(name, type, address.GetAddressBytes(), ttl, address.ToString());
    }

    private LoopbackDnsServer TxtPieces(string name, IReadOnlyList<byte[]> pieces, int? ttl, string text)
    {
        var rdata = new List<byte>();
        foreach (var piece in pieces)
        {
            if (piece.Length > 255)
            {
                throw new ArgumentException("a TXT character-string holds at most 255 octets", nameof(pieces));
            }

            rdata.Add((byte)piece.Length);
            rdata.AddRange(piece);
        }

        return Add(name, DnsType.TXT, [.. rdata], ttl, text);
    }

    private LoopbackDnsServer Add(string name, DnsType type, byte[] rdata, int? ttl, string text)
    {
        var key = Key(name);
        lock (_gate)
        {
            if (!_records.TryGetValue(key, out var list))
            {
                _records[key] = list = [];
            }

            list.Add(new ZoneRecord(key, type, ttl ?? DefaultTtl, rdata, text));
        }

        return this;
    }

    private LoopbackDnsServer AddRule(Rule rule)
    {
        lock (_gate)
        {
            _rules.Add(rule);
        }

        return this;
    }

    private void Log(DnsQueryLogEntry entry)
    {
        _log.Enqueue(entry);
        lock (_waiters)
        {
            foreach (var waiter in _waiters.Where(w => w.Match(entry)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult(entry);
            }
        }
    }

    private static bool Matches(DnsQueryLogEntry entry, string name, DnsType? type) =>
        string.Equals(entry.Name.TrimEnd('.'), name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase) && (type is null || entry.Type == type);

    private static bool Covers(string zone, string name)
    {
        var n = Key(name);
        return n == zone || n.EndsWith("." + zone, StringComparison.Ordinal);
    }

    private static string Key(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();

    private sealed record ZoneRecord(string Owner, DnsType Type, int Ttl, byte[] Rdata, string Text);

    private enum RuleKind
    {
        Rcode,
        Delay,
        Hang,
        Truncate,
    }

    private sealed record Rule(string Name, DnsType? Type, RuleKind Kind, DnsRcode Rcode, TimeSpan Delay, bool Subdomains);
}
