using System.Net;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Testing.Dns;

namespace MailAppliance.Pipeline.Tests.Authentication;

/// <summary>The RFC 7208 test suite against <see cref="SpfVerifier"/>, each group's zone served by a loopback DNS server.</summary>
public sealed class SpfSuiteTests : IAsyncLifetime
{
    private LoopbackDnsServer _dns = null!;

    public static TheoryData<string> GroupNames => new(SpfSuite.Groups.Select(g => g.Name));

    public Task InitializeAsync()
    {
        _dns = LoopbackDnsServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    [Theory]
    [MemberData(nameof(GroupNames))]
    public async Task Group(string name)
    {
        var group = SpfSuite.Groups.Single(g => g.Name == name);
        _dns.Clear();
        group.Zone(_dns);
        var resolver = new DnsResolver(new DnsResolverOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(1), Attempts = 1, UseCache = false });
        var spf = new SpfVerifier(resolver, new SpfOptions { ReceivingHost = "mx.receiver.test" });

        var failures = new List<string>();
        foreach (var test in group.Cases)
        {
            var result = await spf.CheckMailFromAsync(IPAddress.Parse(test.Host), test.MailFrom, test.Helo);
            if (!test.Results.Contains(result.Keyword))
            {
                failures.Add($"{test.Name}: {result.Keyword} ({result.Problem}), expected {string.Join(" or ", test.Results)}; asked: {string.Join(", ", _dns.Queries.TakeLast(4))}");
            }
            else if (test.Explanation is not null && !string.Equals(test.Explanation, result.Explanation ?? "", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{test.Name}: explanation '{result.Explanation}', expected '{test.Explanation}'");
            }
        }

        Assert.Empty(_dns.Errors);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
