using MailAppliance.Pipeline.Dns;
using MailAppliance.Testing.Dns;

namespace MailAppliance.Pipeline.Tests.Dns;

/// <summary>A loopback DNS server and a resolver pointed at it; short time-outs so a hanging server costs little.</summary>
public sealed class ResolverFixture : IAsyncLifetime
{
    public LoopbackDnsServer Server { get; private set; } = null!;

    public TestClock Clock { get; } = new();

    public Task InitializeAsync()
    {
        Server = LoopbackDnsServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public DnsResolver Resolver(Func<DnsResolverOptions, DnsResolverOptions>? adjust = null)
    {
        var options = new DnsResolverOptions { Servers = [Server.Endpoint], Timeout = TimeSpan.FromSeconds(3), Attempts = 1 };
        return new DnsResolver(adjust is null ? options : adjust(options), Clock);
    }
}
