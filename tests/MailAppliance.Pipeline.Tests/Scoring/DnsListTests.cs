using System.Diagnostics;
using System.Net;
using System.Text;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Pipeline.Scoring;
using MailAppliance.Pipeline.Scoring.Checks;
using MailAppliance.Pipeline.Scoring.Rules;
using MailAppliance.Testing.Dns;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Pipeline.Tests.Scoring;

/// <summary>DNSBL, DNSWL and URIBL through the real resolver against a loopback DNS server of the test's own.</summary>
public sealed class DnsListTests : IAsyncLifetime
{
    private static readonly DnsList Blocklist = new("bl.test", 3.5, Uri: false);
    private static readonly DnsList Welcomelist = new("wl.test", -2, Uri: false);
    private static readonly DnsList UriList = new("uribl.test", 2, Uri: true);
    private LoopbackDnsServer _dns = null!;

    public Task InitializeAsync()
    {
        _dns = LoopbackDnsServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    private SpamScanner Scanner(TimeSpan budget, params DnsList[] lists)
    {
        var resolver = new DnsResolver(new DnsResolverOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(30), Attempts = 1 });
        return new SpamScanner(new SpamOptions { TimeBudget = budget, DnsLists = lists }, RulesSource.BuiltInOnly(), null, null, null,
            new DnsListCheck(lists, resolver), TimeProvider.System, NullLogger.Instance, "mx.example.test", _ => false);
    }

    private static async Task<RecipientScan> Scan(SpamScanner scanner, string client, string body)
    {
        using var message = new MemoryStream(Messages.Plain(body));
        var envelope = new ScanEnvelope(IPAddress.Parse(client), "mail.sender.test", "alice@sender.test", ["bob@example.test"]);
        return (await scanner.ScanAsync(message, envelope, null, [null], ScanMode.Intake, CancellationToken.None)).Recipients[0];
    }

    [Fact]
    public async Task A_listed_client_and_a_listed_uri_domain_score_their_weights()
    {
        _dns.A("9.100.51.198.bl.test", "127.0.0.2").A("9.100.51.198.wl.test", "127.0.0.5").A("spammy.test.uribl.test", "127.0.0.2");
        var scan = await Scan(Scanner(TimeSpan.FromSeconds(10), Blocklist, Welcomelist, UriList), "198.51.100.9",
            "Visit https://www.spammy.test/offer and https://fine.test/ now");
        Assert.Contains(new SpamSymbol("RBL_BL_TEST", 3.5), scan.Symbols);
        Assert.Contains(new SpamSymbol("RBL_WL_TEST", -2), scan.Symbols);
        Assert.Contains(new SpamSymbol("URIBL_URIBL_TEST", 2), scan.Symbols);
        Assert.Equal(1, _dns.CountQueries("fine.test.uribl.test"));
        Assert.Equal(1, _dns.CountQueries("spammy.test.uribl.test")); // the registered domain, not www.spammy.test
    }

    [Fact]
    public async Task Not_listed_is_nothing_and_a_failing_list_is_a_zero_temperror()
    {
        _dns.ServFail("bl.test");
        var scan = await Scan(Scanner(TimeSpan.FromSeconds(10), Blocklist, Welcomelist), "2001:db8::1", "hello");
        Assert.Contains(new SpamSymbol("RBL_BL_TEST_TEMPERROR", 0), scan.Symbols);
        Assert.DoesNotContain(scan.Symbols, s => s.Name.StartsWith("RBL_WL_TEST", StringComparison.Ordinal));
        // RFC 5782 §2.4: an IPv6 client is looked up by its nibbles, reversed.
        Assert.Equal(1, _dns.CountQueries("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.wl.test"));
    }

    [Fact]
    public async Task A_hanging_DNS_server_does_not_delay_scoring_past_the_budget()
    {
        _dns.Hang("bl.test");
        var watch = Stopwatch.StartNew();
        using var message = new MemoryStream(Encoding.ASCII.GetBytes("From: a@sender.test\r\nSubject: x\r\n\r\n" + Messages.Gtube + "\r\n"));
        var scan = await Scanner(TimeSpan.FromMilliseconds(800), Blocklist).ScanAsync(message,
            new ScanEnvelope(IPAddress.Parse("198.51.100.9"), "h.sender.test", "a@sender.test", ["bob@example.test"]), null, [null], ScanMode.Intake, CancellationToken.None);
        watch.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
        Assert.Contains(new SpamSymbol("RBL_BL_TEST_TEMPERROR", 0), scan.Recipients[0].Symbols);
        Assert.Contains("GTUBE", scan.Recipients[0].Symbols.Select(s => s.Name)); // scored without the list
    }
}
