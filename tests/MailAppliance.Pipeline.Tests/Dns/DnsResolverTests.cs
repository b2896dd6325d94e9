using System.Net;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Testing.Dns;

namespace MailAppliance.Pipeline.Tests.Dns;

/// <summary>The resolver against a real DNS server on loopback: every record type, every failure kind, TCP fallback.</summary>
public sealed class DnsResolverTests(ResolverFixture fixture) : IClassFixture<ResolverFixture>
{
    private LoopbackDnsServer Dns => fixture.Server;

    [Fact]
    public async Task A_and_AAAA_records()
    {
        Dns.A("host.a.test", "192.0.2.1").A("host.a.test", "192.0.2.2").Aaaa("host.a.test", "2001:db8::1");
        var resolver = fixture.Resolver();

        var v4 = await resolver.LookupAAsync("HOST.a.test.");
        Assert.Equal(DnsStatus.Found, v4.Status);
        Assert.Equal([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2")], v4.Records);
        Assert.Equal("host.a.test", v4.CanonicalName);
        Assert.Equal(0, v4.ResponseCode);

        var v6 = await resolver.LookupAaaaAsync("host.a.test");
        Assert.Equal([IPAddress.Parse("2001:db8::1")], v6.Records);
    }

    [Fact]
    public async Task MX_records_and_the_null_MX()
    {
        Dns.Mx("mx.test", 20, "backup.mx.test").Mx("mx.test", 10, "Primary.MX.test.").NullMx("nomail.mx.test");
        var resolver = fixture.Resolver();

        var mx = await resolver.LookupMxAsync("mx.test");
        Assert.Equal([new MxRecord(20, "backup.mx.test"), new MxRecord(10, "primary.mx.test")], mx.Records);
        Assert.DoesNotContain(mx.Records, r => r.IsNull);

        var nullMx = await resolver.LookupMxAsync("nomail.mx.test");
        var single = Assert.Single(nullMx.Records);
        Assert.True(single.IsNull);
        Assert.Equal("0 .", single.ToString());
    }

    [Fact]
    public async Task TXT_strings_are_joined_without_spaces()
    {
        var longRecord = "v=DKIM1; k=rsa; p=" + new string('A', 600);
        Dns.Txt("long.txt.test", longRecord)
           .TxtStrings("split.txt.test", "v=spf1 ip4:192.0.2.0/24", " -all")
           .Txt("split.txt.test", "unrelated");
        var resolver = fixture.Resolver();

        Assert.Equal([longRecord], (await resolver.LookupTxtAsync("long.txt.test")).Records);
        Assert.Equal(["v=spf1 ip4:192.0.2.0/24 -all", "unrelated"], (await resolver.LookupTxtAsync("split.txt.test")).Records);
    }

    [Fact]
    public async Task PTR_CNAME_and_TLSA_records()
    {
        var data = Convert.FromHexString("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
        Dns.Ptr(IPAddress.Parse("192.0.2.77"), "Mail.Ptr.test.")
           .Ptr(IPAddress.Parse("2001:db8::77"), "mail6.ptr.test")
           .Cname("alias.ptr.test", "mail.ptr.test")
           .A("mail.ptr.test", "192.0.2.77")
           .Tlsa("_25._tcp.mail.ptr.test", 3, 1, 1, data);
        var resolver = fixture.Resolver();

        Assert.Equal(["mail.ptr.test"], (await resolver.LookupPtrAsync(IPAddress.Parse("192.0.2.77"))).Records);
        Assert.Equal(["mail.ptr.test"], (await resolver.LookupPtrAsync(IPAddress.Parse("::ffff:192.0.2.77"))).Records);
        Assert.Equal(["mail6.ptr.test"], (await resolver.LookupPtrAsync(IPAddress.Parse("2001:db8::77"))).Records);
        Assert.Equal(["mail.ptr.test"], (await resolver.LookupCnameAsync("alias.ptr.test")).Records);

        // An A question for the alias follows the chain; the records belong to its end.
        var viaAlias = await resolver.LookupAAsync("alias.ptr.test");
        Assert.Equal([IPAddress.Parse("192.0.2.77")], viaAlias.Records);
        Assert.Equal("mail.ptr.test", viaAlias.CanonicalName);

        var tlsa = Assert.Single((await resolver.LookupTlsaAsync(DnsNames.TlsaName(25, "mail.ptr.test"))).Records);
        Assert.Equal(new TlsaRecord(3, 1, 1, data), tlsa);
    }

    [Fact]
    public async Task NXDOMAIN_and_NODATA_are_told_apart()
    {
        Dns.A("exists.nx.test", "192.0.2.1").A("leaf.empty.nx.test", "192.0.2.2");
        var resolver = fixture.Resolver();

        var nodata = await resolver.LookupMxAsync("exists.nx.test");
        Assert.Equal(DnsStatus.NoData, nodata.Status);
        Assert.True(nodata.IsVoid);
        Assert.False(nodata.IsTemporaryFailure);
        Assert.Empty(nodata.Records);

        // An empty non-terminal exists (RFC 8020): NODATA, not NXDOMAIN.
        Assert.Equal(DnsStatus.NoData, (await resolver.LookupAAsync("empty.nx.test")).Status);

        var nx = await resolver.LookupAAsync("missing.nx.test");
        Assert.Equal(DnsStatus.NxDomain, nx.Status);
        Assert.Equal(3, nx.ResponseCode);
        Assert.True(nx.IsVoid);
    }

    [Fact]
    public async Task SERVFAIL_and_other_rcodes_are_server_failures()
    {
        Dns.A("broken.fail.test", "192.0.2.1").ServFail("broken.fail.test").Rcode("refused.fail.test", DnsRcode.Refused);
        var resolver = fixture.Resolver();

        var servfail = await resolver.LookupAAsync("www.broken.fail.test");
        Assert.Equal(DnsStatus.ServerFailure, servfail.Status);
        Assert.Equal(2, servfail.ResponseCode);
        Assert.True(servfail.IsTemporaryFailure);
        Assert.Contains("SERVFAIL", servfail.Error, StringComparison.Ordinal);

        var refused = await resolver.LookupTxtAsync("refused.fail.test");
        Assert.Equal(DnsStatus.ServerFailure, refused.Status);
        Assert.Equal(5, refused.ResponseCode);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_a_timeout()
    {
        Dns.A("hang.timeout.test", "192.0.2.1").Hang("hang.timeout.test");
        var resolver = fixture.Resolver(o => o with { Timeout = TimeSpan.FromMilliseconds(300), Attempts = 2 });

        var result = await resolver.LookupAAsync("hang.timeout.test");
        Assert.Equal(DnsStatus.Timeout, result.Status);
        Assert.True(result.IsTemporaryFailure);
        Assert.Equal(-1, result.ResponseCode);

        // The resolver may give up before the loopback server has counted the second query (CI under load saw 1).
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (Dns.CountQueries("hang.timeout.test", DnsType.A) < 2 && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, Dns.CountQueries("hang.timeout.test", DnsType.A));
    }

    [Fact]
    public async Task A_slow_answer_within_the_time_out_arrives()
    {
        Dns.A("slow.timeout.test", "192.0.2.9").Delay("slow.timeout.test", TimeSpan.FromMilliseconds(150));
        var resolver = fixture.Resolver(o => o with { Timeout = TimeSpan.FromSeconds(3) });

        Assert.Equal([IPAddress.Parse("192.0.2.9")], (await resolver.LookupAAsync("slow.timeout.test")).Records);
    }

    [Fact]
    public async Task The_caller_may_stop_waiting()
    {
        Dns.A("cancel.timeout.test", "192.0.2.1").Hang("cancel.timeout.test");
        var resolver = fixture.Resolver(o => o with { Timeout = TimeSpan.FromSeconds(30) });
        using var budget = new CancellationTokenSource();

        var lookup = resolver.LookupAAsync("cancel.timeout.test", budget.Token);
        await Dns.WaitForQueryAsync("cancel.timeout.test", DnsType.A);
        await budget.CancelAsync();

        var result = await lookup;
        Assert.Equal(DnsStatus.Timeout, result.Status);
    }

    [Fact]
    public async Task A_truncated_UDP_answer_is_asked_again_over_TCP()
    {
        Dns.Txt("tc.tcp.test", "v=spf1 -all").TruncateUdp("tc.tcp.test");
        var resolver = fixture.Resolver();

        Assert.Equal(["v=spf1 -all"], (await resolver.LookupTxtAsync("tc.tcp.test")).Records);
        Assert.Equal(1, Dns.CountQueries("tc.tcp.test", DnsType.TXT, DnsTransport.Udp));
        Assert.Equal(1, Dns.CountQueries("tc.tcp.test", DnsType.TXT, DnsTransport.Tcp));
    }

    [Fact]
    public async Task An_answer_too_big_for_UDP_arrives_over_TCP()
    {
        for (var i = 0; i < 40; i++)
        {
            Dns.Txt("big.tcp.test", $"record {i} " + new string('x', 200));
        }

        var result = await fixture.Resolver().LookupTxtAsync("big.tcp.test");
        Assert.Equal(40, result.Records.Count);
        Assert.Equal(1, Dns.CountQueries("big.tcp.test", DnsType.TXT, DnsTransport.Tcp));
    }

    [Fact]
    public async Task The_AD_bit_of_the_resolver_is_reported()
    {
        Dns.Tlsa("_25._tcp.mx.secure.test", 3, 1, 1, new byte[32]).Authenticated("secure.test")
           .Tlsa("_25._tcp.mx.insecure.test", 3, 1, 1, new byte[32]);
        var resolver = fixture.Resolver();

        var secure = await resolver.LookupTlsaAsync("_25._tcp.mx.secure.test");
        Assert.True(secure.Authenticated);
        Assert.True(Dns.Queries.First(q => q.Name == "_25._tcp.mx.secure.test").DnssecOk);

        var denial = await resolver.LookupTlsaAsync("_25._tcp.other.secure.test");
        Assert.Equal(DnsStatus.NxDomain, denial.Status);
        Assert.True(denial.Authenticated);

        Assert.False((await resolver.LookupTlsaAsync("_25._tcp.mx.insecure.test")).Authenticated);
    }

    [Fact]
    public async Task A_malformed_name_is_not_asked()
    {
        var resolver = fixture.Resolver();
        var tooLong = await resolver.LookupAAsync(new string('a', 64) + ".test");
        Assert.Equal(DnsStatus.NxDomain, tooLong.Status);
        Assert.Contains("malformed", tooLong.Error, StringComparison.Ordinal);
        Assert.Equal(DnsStatus.NxDomain, (await resolver.LookupAAsync("a..b.test")).Status);
        Assert.Equal(0, Dns.CountQueries("a..b.test"));
    }

    [Fact]
    public async Task When_the_first_server_fails_the_next_is_asked()
    {
        await using var second = LoopbackDnsServer.Start();
        second.A("next.servers.test", "192.0.2.5");
        Dns.ServFail("next.servers.test");
        var resolver = fixture.Resolver(o => o with { Servers = [Dns.Endpoint, second.Endpoint] });

        Assert.Equal([IPAddress.Parse("192.0.2.5")], (await resolver.LookupAAsync("next.servers.test")).Records);
        Assert.Equal(1, Dns.CountQueries("next.servers.test"));
    }
}
