using System.Net;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Smtp.Client.MtaSts;
using MailAppliance.Testing;
using MailAppliance.Testing.Dns;

namespace MailAppliance.Smtp.Tests.Client.MtaSts;

public sealed class MtaStsResolverTests : IAsyncLifetime
{
    private const string Enforce = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";
    private const string Path = "/.well-known/mta-sts.txt";
    private readonly TestCertificates _certificates = new();
    private readonly ManualClock _clock = new();
    private LoopbackDnsServer _dns = null!;
    private HttpsTestServer _https = null!;
    private MtaStsFetcher _fetcher = null!;
    private MtaStsResolver _resolver = null!;

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    public Task InitializeAsync()
    {
        _dns = LoopbackDnsServer.Start();
        _https = new HttpsTestServer(_certificates.Context(_certificates.Issue("mta-sts.example.test")));
        _fetcher = new MtaStsFetcher(
            new MtaStsFetcherOptions { Port = _https.Port, TrustedRoots = _certificates.Roots },
            (_, _) => Task.FromResult<IReadOnlyList<IPAddress>>([IPAddress.Loopback]));
        var resolver = new DnsResolver(new DnsResolverOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(2), Attempts = 1, UseCache = false });
        _resolver = new MtaStsResolver(resolver, _fetcher, new MemoryMtaStsPolicyStore(), _clock);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _fetcher.Dispose();
        await _https.DisposeAsync();
        await _dns.DisposeAsync();
        _certificates.Dispose();
    }

    [Fact]
    public async Task Without_a_txt_record_there_is_no_policy_and_nothing_is_fetched()
    {
        var lookup = await _resolver.GetPolicyAsync("example.test");
        Assert.Null(lookup.Policy);
        Assert.Empty(_https.Requests);
    }

    [Fact]
    public async Task A_policy_is_fetched_once_and_served_from_the_cache_while_the_id_stays()
    {
        _dns.Txt("_mta-sts.example.test", "v=STSv1; id=one;");
        _https.Respond(Path, HttpsTestResponse.Text(Enforce));
        var first = await _resolver.GetPolicyAsync("example.test");
        Assert.Equal(MtaStsMode.Enforce, first.Enforced!.Mode);
        Assert.Equal("MTA-STS policy one fetched", first.Note);

        _https.Respond(Path, HttpsTestResponse.Text(Enforce.Replace("enforce", "testing", StringComparison.Ordinal)));
        var second = await _resolver.GetPolicyAsync("example.test");
        Assert.Equal(MtaStsMode.Enforce, second.Policy!.Mode);
        Assert.Single(_https.Requests);

        // RFC 8461 §5.1: a new id means a new policy.
        _dns.Remove("_mta-sts.example.test").Txt("_mta-sts.example.test", "v=STSv1; id=two;");
        var third = await _resolver.GetPolicyAsync("example.test");
        Assert.Equal(MtaStsMode.Testing, third.Policy!.Mode);
        Assert.Null(third.Enforced);
        Assert.Equal(2, _https.Requests.Count);
    }

    [Fact]
    public async Task A_cached_policy_outlives_a_stripped_record_and_a_blocked_fetch_until_it_expires()
    {
        _dns.Txt("_mta-sts.example.test", "v=STSv1; id=one;");
        _https.Respond(Path, HttpsTestResponse.Text(Enforce));
        Assert.NotNull((await _resolver.GetPolicyAsync("example.test")).Enforced);

        // An attacker removes the record: the cached enforce policy still holds.
        _dns.Remove("_mta-sts.example.test");
        var stripped = await _resolver.GetPolicyAsync("example.test");
        Assert.NotNull(stripped.Enforced);
        Assert.Contains("TXT record missing", stripped.Note, StringComparison.Ordinal);

        // ... or announces a new id and blocks the fetch: still the cached policy.
        _dns.Txt("_mta-sts.example.test", "v=STSv1; id=two;");
        _https.Respond(Path, new HttpsTestResponse(503, "text/plain", "down"));
        var blocked = await _resolver.GetPolicyAsync("example.test");
        Assert.NotNull(blocked.Enforced);
        Assert.Contains("fetch of two failed", blocked.Note, StringComparison.Ordinal);

        // After max_age, with no policy to be had, there is none.
        _clock.Now += TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1);
        Assert.Null((await _resolver.GetPolicyAsync("example.test")).Policy);
    }

    [Fact]
    public async Task A_dns_failure_for_the_record_keeps_no_policy_when_none_was_cached()
    {
        _dns.ServFail("_mta-sts.example.test");
        var lookup = await _resolver.GetPolicyAsync("example.test");
        Assert.Null(lookup.Policy);
        Assert.Contains("TXT lookup", lookup.Note, StringComparison.Ordinal);
    }
}
