using System.Net;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Smtp.Client;
using MailAppliance.Smtp.Client.Destinations;
using MailAppliance.Testing;
using MailAppliance.Testing.Dns;

namespace MailAppliance.Smtp.Tests.Client.Destinations;

public sealed class DestinationResolverTests : IAsyncLifetime
{
    private LoopbackDnsServer _dns = null!;
    private DnsResolver _resolver = null!;

    public Task InitializeAsync()
    {
        _dns = LoopbackDnsServer.Start();
        _resolver = new DnsResolver(new DnsResolverOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(2), Attempts = 1, UseCache = false });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    private DestinationResolver Resolver(DeliveryRouting? routing = null, DestinationOptions? options = null) =>
        new(_resolver, routing ?? DeliveryRouting.Default with { Port = 2525 }, options);

    private async Task<SmtpTarget> TargetAsync(string domain, DestinationResolver? resolver = null)
    {
        var result = await (resolver ?? Resolver()).ResolveAsync(domain);
        Assert.True(result.Target is not null, result.Failure?.ToString());
        return result.Target;
    }

    private async Task<DestinationFailure> FailureAsync(string domain, DestinationResolver? resolver = null)
    {
        var result = await (resolver ?? Resolver()).ResolveAsync(domain);
        Assert.Null(result.Target);
        return result.Failure!;
    }

    [Fact]
    public async Task Mx_hosts_come_in_preference_order_with_their_addresses_ipv4_first()
    {
        _dns.Mx("example.test", 20, "backup.example.test").Mx("example.test", 10, "mx.example.test")
            .A("mx.example.test", "127.0.0.1").Aaaa("mx.example.test", "::1").A("backup.example.test", "127.0.0.2");
        var target = await TargetAsync("Example.TEST.");
        Assert.Equal("example.test", target.Destination);
        Assert.Equal(2525, target.Port);
        Assert.Equal(["mx.example.test", "backup.example.test"], target.Hosts.Select(h => h.Name));
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], target.Hosts[0].Addresses);
        Assert.All(target.Hosts, h => Assert.Same(TlsPolicy.Opportunistic, h.Tls));
    }

    [Fact]
    public async Task Equal_preferences_are_shuffled()
    {
        _dns.Mx("spread.test", 10, "a.spread.test").Mx("spread.test", 10, "b.spread.test").Mx("spread.test", 10, "c.spread.test").Mx("spread.test", 5, "first.spread.test");
        foreach (var host in new[] { "a", "b", "c", "first" })
        {
            _dns.A($"{host}.spread.test", "127.0.0.1");
        }

        var orders = new HashSet<string>();
        for (var i = 0; i < 30 && orders.Count < 2; i++)
        {
            var target = await TargetAsync("spread.test");
            Assert.Equal("first.spread.test", target.Hosts[0].Name);
            orders.Add(string.Join(",", target.Hosts.Skip(1).Select(h => h.Name)));
        }

        Assert.True(orders.Count >= 2, "30 resolutions gave one order of three equal MX hosts");
    }

    [Fact]
    public async Task Without_mx_records_the_domains_own_addresses_are_used()
    {
        _dns.A("plain.test", "127.0.0.3");
        var target = await TargetAsync("plain.test");
        var host = Assert.Single(target.Hosts);
        Assert.Equal("plain.test", host.Name);
        Assert.Equal([IPAddress.Parse("127.0.0.3")], host.Addresses);
    }

    [Fact]
    public async Task A_null_mx_bounces_with_5_1_10()
    {
        _dns.NullMx("nomail.test").A("nomail.test", "127.0.0.1");
        var failure = await FailureAsync("nomail.test");
        Assert.True(failure.Permanent);
        Assert.Equal("5.1.10", failure.StatusCode.ToString());
    }

    [Fact]
    public async Task A_domain_that_does_not_exist_bounces_with_5_1_2()
    {
        _dns.Zone("test");
        var failure = await FailureAsync("nonexistent.test");
        Assert.True(failure.Permanent);
        Assert.Equal("5.1.2", failure.StatusCode.ToString());
    }

    [Fact]
    public async Task Servfail_and_time_outs_defer()
    {
        _dns.ServFail("broken.test").Hang("slow.test");
        var servfail = await FailureAsync("broken.test");
        Assert.False(servfail.Permanent);
        Assert.Equal("4.4.3", servfail.StatusCode.ToString());
        Assert.False((await FailureAsync("slow.test")).Permanent);
    }

    [Fact]
    public async Task Mx_hosts_without_addresses_are_skipped_and_none_at_all_bounces()
    {
        _dns.Mx("partly.test", 10, "gone.partly.test").Mx("partly.test", 20, "ok.partly.test").A("ok.partly.test", "127.0.0.1");
        Assert.Equal("ok.partly.test", Assert.Single((await TargetAsync("partly.test")).Hosts).Name);

        _dns.Mx("none.test", 10, "gone.none.test");
        var failure = await FailureAsync("none.test");
        Assert.True(failure.Permanent);

        _dns.Mx("flaky.test", 10, "mx.flaky.test").ServFail("mx.flaky.test");
        Assert.False((await FailureAsync("flaky.test")).Permanent);
    }

    [Fact]
    public async Task An_mx_naming_ourselves_leaves_only_more_preferred_hosts()
    {
        _dns.Mx("loop.test", 10, "better.loop.test").Mx("loop.test", 20, "us.example.test").Mx("loop.test", 30, "worse.loop.test")
            .A("better.loop.test", "127.0.0.1").A("us.example.test", "127.0.0.1").A("worse.loop.test", "127.0.0.1");
        var resolver = Resolver(options: new DestinationOptions { LocalHostNames = ["us.example.test"] });
        Assert.Equal(["better.loop.test"], (await TargetAsync("loop.test", resolver)).Hosts.Select(h => h.Name));

        _dns.Mx("self.test", 10, "us.example.test");
        Assert.Equal("5.4.6", (await FailureAsync("self.test", resolver)).StatusCode.ToString());
    }

    [Fact]
    public async Task A_smarthost_route_skips_the_mx_lookup_and_carries_its_credentials()
    {
        _dns.Mx("example.org", 10, "mx.example.org").A("relay.example.net", "127.0.0.9");
        var routing = new DeliveryRouting(
            new Dictionary<string, DeliveryRoute> { ["*"] = new DeliveryRoute.SmarthostRoute("relay.example.net", 587), ["literal.test"] = new DeliveryRoute.SmarthostRoute("127.0.0.8", null) },
            new Dictionary<string, SmarthostSettings> { ["relay.example.net"] = new(new SmtpCredentials("u", "p"), TlsPolicy.RequiredUnverified) },
            2525);
        var target = await TargetAsync("example.org", Resolver(routing));
        Assert.Equal(587, target.Port);
        Assert.Equal("u", target.Credentials!.UserName);
        var host = Assert.Single(target.Hosts);
        Assert.Equal([IPAddress.Parse("127.0.0.9")], host.Addresses);
        Assert.Same(TlsPolicy.RequiredUnverified, host.Tls);
        Assert.Equal(0, _dns.CountQueries("example.org", DnsType.MX));

        var literal = await TargetAsync("literal.test", Resolver(routing));
        Assert.Equal(2525, literal.Port);
        Assert.Equal([IPAddress.Parse("127.0.0.8")], Assert.Single(literal.Hosts).Addresses);
    }

    [Fact]
    public async Task Authenticated_tlsa_records_make_dane_mandatory_and_unauthenticated_ones_are_ignored()
    {
        byte[] digest = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
        _dns.Mx("signed.test", 10, "mx.signed.test").A("mx.signed.test", "127.0.0.1").Tlsa("_2525._tcp.mx.signed.test", 3, 1, 1, digest).Authenticated("signed.test");
        var dane = Assert.IsType<TlsPolicy.DaneTls>(Assert.Single((await TargetAsync("signed.test")).Hosts).Tls);
        Assert.Equal(new MailAppliance.Smtp.Client.TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha256, digest).ToString(), Assert.Single(dane.Records).ToString());
        Assert.Equal(["mx.signed.test", "signed.test"], dane.Names);

        _dns.Mx("unsigned.test", 10, "mx.unsigned.test").A("mx.unsigned.test", "127.0.0.1").Tlsa("_2525._tcp.mx.unsigned.test", 3, 1, 1, digest);
        Assert.Same(TlsPolicy.Opportunistic, Assert.Single((await TargetAsync("unsigned.test")).Hosts).Tls);
        Assert.Equal(0, _dns.CountQueries("_2525._tcp.mx.unsigned.test", DnsType.TLSA));

        // A signed host whose TLSA lookup fails is not used (RFC 7672 §2.2): it could be a downgrade.
        _dns.Mx("tlsafail.test", 10, "mx.tlsafail.test").A("mx.tlsafail.test", "127.0.0.1").Authenticated("tlsafail.test").ServFail("_2525._tcp.mx.tlsafail.test");
        Assert.False((await FailureAsync("tlsafail.test")).Permanent);
    }
}
