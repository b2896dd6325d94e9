using System.Net;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Testing.Dns;

namespace MailAppliance.Pipeline.Tests.Authentication;

/// <summary>What the SPF result carries besides its code: identity, problem, mechanism, counts; HELO; the time budget.</summary>
public sealed class SpfVerifierTests : IAsyncLifetime
{
    private LoopbackDnsServer _dns = null!;
    private SpfVerifier _spf = null!;

    public Task InitializeAsync()
    {
        _dns = LoopbackDnsServer.Start();
        _spf = new SpfVerifier(new DnsResolver(new DnsResolverOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(3), Attempts = 1 }));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    [Fact]
    public async Task A_pass_names_its_mechanism_and_identity()
    {
        _dns.Txt("sender.test", "v=spf1 mx ip4:192.0.2.0/24 -all").Mx("sender.test", 10, "mx.sender.test").A("mx.sender.test", "198.51.100.1");

        var result = await _spf.CheckMailFromAsync(IPAddress.Parse("192.0.2.7"), "Alice@Sender.TEST", "client.example");
        Assert.Equal(SpfResultCode.Pass, result.Code);
        Assert.Equal("pass", result.Keyword);
        Assert.Equal(SpfIdentity.MailFrom, result.Identity);
        Assert.Equal("sender.test", result.Domain);
        Assert.Equal("Alice@Sender.TEST", result.Sender);
        Assert.Equal("ip4:192.0.2.0/24", result.Mechanism);
        Assert.Equal(1, result.DnsLookups);
        Assert.Null(result.Explanation);
    }

    [Fact]
    public async Task A_fail_carries_the_explanation()
    {
        _dns.Txt("strict.test", "v=spf1 -all exp=why.strict.test").Txt("why.strict.test", "%{i} may not send for %{d}");

        var result = await _spf.CheckMailFromAsync(IPAddress.Parse("203.0.113.9"), "bob@strict.test", "client.example");
        Assert.Equal(SpfResultCode.Fail, result.Code);
        Assert.Equal("203.0.113.9 may not send for strict.test", result.Explanation);
        Assert.Equal("-all", result.Mechanism);
    }

    [Fact]
    public async Task The_null_sender_is_checked_as_postmaster_at_the_HELO_name()
    {
        _dns.Txt("helo.test", "v=spf1 a -all").A("helo.test", "192.0.2.20");

        var result = await _spf.CheckMailFromAsync(IPAddress.Parse("192.0.2.20"), "", "helo.test");
        Assert.Equal(SpfResultCode.Pass, result.Code);
        Assert.Equal(SpfIdentity.Helo, result.Identity);
        Assert.Equal("postmaster@helo.test", result.Sender);

        var helo = await _spf.CheckHeloAsync(IPAddress.Parse("192.0.2.21"), "helo.test");
        Assert.Equal(SpfResultCode.Fail, helo.Code);
        Assert.Equal(SpfResultCode.None, (await _spf.CheckHeloAsync(IPAddress.Parse("192.0.2.21"), "[192.0.2.21]")).Code);
    }

    [Fact]
    public async Task SERVFAIL_is_a_temperror_with_the_reason()
    {
        _dns.ServFail("broken.test");
        var result = await _spf.CheckMailFromAsync(IPAddress.Parse("192.0.2.1"), "x@broken.test", "client.example");
        Assert.Equal(SpfResultCode.TempError, result.Code);
        Assert.Contains("SERVFAIL", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_permerror_says_which_limit()
    {
        _dns.Txt("many.test", "v=spf1 " + string.Join(' ', Enumerable.Range(0, 11).Select(i => $"a:h{i}.many.test")) + " -all");
        for (var i = 0; i < 11; i++)
        {
            _dns.A($"h{i}.many.test", "198.51.100.1");
        }

        var result = await _spf.CheckMailFromAsync(IPAddress.Parse("192.0.2.1"), "x@many.test", "client.example");
        Assert.Equal(SpfResultCode.PermError, result.Code);
        Assert.Contains("more than 10", result.Problem, StringComparison.Ordinal);
        Assert.Equal(11, result.DnsLookups);
    }

    [Fact]
    public async Task The_callers_time_budget_ends_a_hanging_check_with_temperror()
    {
        _dns.Txt("slow.test", "v=spf1 include:hang.slow.test -all").Hang("hang.slow.test");
        using var budget = new CancellationTokenSource();
        var check = _spf.CheckMailFromAsync(IPAddress.Parse("192.0.2.1"), "x@slow.test", "client.example", budget.Token);
        await _dns.WaitForQueryAsync("hang.slow.test", DnsType.TXT);
        await budget.CancelAsync();

        Assert.Equal(SpfResultCode.TempError, (await check).Code);
    }
}
