using System.Net;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Testing.Dns;

namespace MailAppliance.Pipeline.Tests.Dns;

/// <summary>The cache: TTLs honoured, denials kept for the SOA's negative TTL (RFC 2308), failures briefly.</summary>
public sealed class DnsCacheTests(ResolverFixture fixture) : IClassFixture<ResolverFixture>
{
    private LoopbackDnsServer Dns => fixture.Server;

    [Fact]
    public async Task A_positive_answer_is_kept_for_its_TTL()
    {
        Dns.A("ttl.cache.test", "192.0.2.1", ttl: 60);
        var resolver = fixture.Resolver();

        await resolver.LookupAAsync("ttl.cache.test");
        fixture.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal([IPAddress.Parse("192.0.2.1")], (await resolver.LookupAAsync("TTL.cache.test.")).Records);
        Assert.Equal(1, Dns.CountQueries("ttl.cache.test"));

        fixture.Clock.Advance(TimeSpan.FromSeconds(2));
        await resolver.LookupAAsync("ttl.cache.test");
        Assert.Equal(2, Dns.CountQueries("ttl.cache.test"));
    }

    [Fact]
    public async Task The_shortest_TTL_in_a_CNAME_chain_counts()
    {
        Dns.Cname("alias.chain.cache.test", "target.chain.cache.test", ttl: 10).A("target.chain.cache.test", "192.0.2.2", ttl: 600);
        var resolver = fixture.Resolver();

        await resolver.LookupAAsync("alias.chain.cache.test");
        fixture.Clock.Advance(TimeSpan.FromSeconds(11));
        await resolver.LookupAAsync("alias.chain.cache.test");
        Assert.Equal(2, Dns.CountQueries("alias.chain.cache.test"));
    }

    [Fact]
    public async Task NXDOMAIN_is_kept_for_the_negative_TTL()
    {
        var resolver = fixture.Resolver();
        Dns.NegativeTtl = 30;
        try
        {
            Assert.Equal(DnsStatus.NxDomain, (await resolver.LookupAAsync("gone.neg.cache.test")).Status);
            Dns.A("gone.neg.cache.test", "192.0.2.3");
            fixture.Clock.Advance(TimeSpan.FromSeconds(29));
            Assert.Equal(DnsStatus.NxDomain, (await resolver.LookupAAsync("gone.neg.cache.test")).Status);

            fixture.Clock.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(DnsStatus.Found, (await resolver.LookupAAsync("gone.neg.cache.test")).Status);
            Assert.Equal(2, Dns.CountQueries("gone.neg.cache.test"));
        }
        finally
        {
            Dns.NegativeTtl = 300;
        }
    }

    [Fact]
    public async Task NODATA_is_cached_per_type()
    {
        Dns.A("nodata.neg.cache.test", "192.0.2.4");
        var resolver = fixture.Resolver();

        Assert.Equal(DnsStatus.NoData, (await resolver.LookupMxAsync("nodata.neg.cache.test")).Status);
        Assert.Equal(DnsStatus.NoData, (await resolver.LookupMxAsync("nodata.neg.cache.test")).Status);
        Assert.Equal(DnsStatus.Found, (await resolver.LookupAAsync("nodata.neg.cache.test")).Status);
        Assert.Equal(1, Dns.CountQueries("nodata.neg.cache.test", DnsType.MX));
    }

    [Fact]
    public async Task A_failure_is_kept_only_briefly()
    {
        Dns.A("flaky.fail.cache.test", "192.0.2.5").ServFail("flaky.fail.cache.test");
        var resolver = fixture.Resolver(o => o with { FailureTtl = TimeSpan.FromSeconds(5) });

        Assert.Equal(DnsStatus.ServerFailure, (await resolver.LookupAAsync("flaky.fail.cache.test")).Status);
        Dns.Heal("flaky.fail.cache.test");
        Assert.Equal(DnsStatus.ServerFailure, (await resolver.LookupAAsync("flaky.fail.cache.test")).Status);
        fixture.Clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(DnsStatus.Found, (await resolver.LookupAAsync("flaky.fail.cache.test")).Status);
    }

    [Fact]
    public async Task Concurrent_askers_share_one_question()
    {
        Dns.A("shared.cache.test", "192.0.2.6").Delay("shared.cache.test", TimeSpan.FromMilliseconds(200));
        var resolver = fixture.Resolver(o => o with { Timeout = TimeSpan.FromSeconds(5) });

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => resolver.LookupAAsync("shared.cache.test")));
        Assert.All(results, r => Assert.Equal(DnsStatus.Found, r.Status));
        Assert.Equal(1, Dns.CountQueries("shared.cache.test"));
    }

    [Fact]
    public async Task Without_the_cache_every_lookup_asks()
    {
        Dns.A("nocache.cache.test", "192.0.2.7");
        var resolver = fixture.Resolver(o => o with { UseCache = false });
        await resolver.LookupAAsync("nocache.cache.test");
        await resolver.LookupAAsync("nocache.cache.test");
        Assert.Equal(2, Dns.CountQueries("nocache.cache.test"));
    }
}
