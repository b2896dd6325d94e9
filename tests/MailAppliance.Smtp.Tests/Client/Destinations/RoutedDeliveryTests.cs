using System.Net;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Smtp.Client;
using MailAppliance.Smtp.Client.Destinations;
using MailAppliance.Smtp.Client.MtaSts;
using MailAppliance.Testing;
using MailAppliance.Testing.Dns;
using TlsaRecord = MailAppliance.Smtp.Client.TlsaRecord;
using static MailAppliance.Smtp.Tests.Client.SinkHarness;

namespace MailAppliance.Smtp.Tests.Client.Destinations;

/// <summary>
/// The whole outbound path on loopback: a DNS server of the test's own, destination resolution (MX, MTA-STS, DANE),
/// and the client delivering to sinks, with an HTTPS server publishing the MTA-STS policy.
/// </summary>
public sealed class RoutedDeliveryTests : IAsyncLifetime
{
    private const string PolicyPath = "/.well-known/mta-sts.txt";
    private readonly TestCertificates _certificates = new();
    private LoopbackDnsServer _dns = null!;
    private DnsResolver _resolver = null!;
    private HttpsTestServer _https = null!;
    private MtaStsFetcher _fetcher = null!;

    public Task InitializeAsync()
    {
        _dns = LoopbackDnsServer.Start();
        _resolver = new DnsResolver(new DnsResolverOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(2), Attempts = 1, UseCache = false });
        _https = new HttpsTestServer(_certificates.Context(_certificates.Issue("mta-sts.example.test")));

        // The policy host's addresses come from the test's DNS (mta-sts.example.test → 127.0.0.1), its port is the test server's.
        _fetcher = MtaStsFetcher.ForResolver(_resolver, new MtaStsFetcherOptions { Port = _https.Port, TrustedRoots = _certificates.Roots });
        _dns.A("mta-sts.example.test", "127.0.0.1");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _fetcher.Dispose();
        await _https.DisposeAsync();
        await _dns.DisposeAsync();
        _certificates.Dispose();
    }

    private DestinationResolver Destinations(int port) =>
        new(_resolver, DeliveryRouting.Default with { Port = port }, new DestinationOptions(), new MtaStsResolver(_resolver, _fetcher, new MemoryMtaStsPolicyStore()));

    private async Task<(DestinationResult Route, DeliveryOutcome? Outcome)> DeliverAsync(int port, string recipient)
    {
        var route = await Destinations(port).ResolveAsync(recipient.Split('@')[1]);
        if (route.Target is null)
        {
            return (route, null);
        }

        var body = Message();
        await using var delivery = new SmtpDelivery(Options(_certificates));
        return (route, await delivery.SendAsync(route.Target, Envelope(body, recipient), Body(body)));
    }

    [Fact]
    public async Task Mail_goes_to_the_mx_and_falls_back_to_the_next_when_the_first_is_down()
    {
        await using var sink = SmtpSink.Start();
        _dns.Mx("example.test", 10, "mx1.example.test").Mx("example.test", 20, "mx2.example.test")
            .A("mx1.example.test", "127.0.0.2").A("mx2.example.test", "127.0.0.1");
        var (_, outcome) = await DeliverAsync(sink.Port, "rcpt@example.test");
        Assert.True(outcome!.AllDelivered, outcome.Recipients[0].Result);
        Assert.Equal(["mx1.example.test", "mx2.example.test"], outcome.Attempts.Select(a => a.HostName));
        Assert.Equal(ConnectionFailureKind.Refused, outcome.Attempts[0].Failure!.Kind);
        Assert.Single(await sink.WaitForMessagesAsync(1));
    }

    [Fact]
    public async Task Mta_sts_enforce_delivers_over_verified_tls_to_a_matching_mx()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(_certificates.Issue("mx.example.test")) });
        _dns.Mx("example.test", 10, "mx.example.test").A("mx.example.test", "127.0.0.1").Txt("_mta-sts.example.test", "v=STSv1; id=1;");
        _https.Respond(PolicyPath, HttpsTestResponse.Text("version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n"));

        var (route, outcome) = await DeliverAsync(sink.Port, "rcpt@example.test");
        Assert.Contains("MTA-STS policy 1 fetched", route.Notes);
        Assert.Equal("verify:mx.example.test", Assert.Single(route.Target!.Hosts).Tls.Describe());
        Assert.True(outcome!.AllDelivered, outcome.Recipients[0].Result);
        Assert.True(outcome.Tls!.Verified);
        Assert.NotNull(Assert.Single(await sink.WaitForMessagesAsync(1)).Tls);
    }

    [Fact]
    public async Task Mta_sts_enforce_refuses_a_server_with_a_bad_certificate()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(TestCertificates.SelfSigned("mx.example.test")) });
        _dns.Mx("example.test", 10, "mx.example.test").A("mx.example.test", "127.0.0.1").Txt("_mta-sts.example.test", "v=STSv1; id=1;");
        _https.Respond(PolicyPath, HttpsTestResponse.Text("version: STSv1\r\nmode: enforce\r\nmx: *.example.test\r\nmax_age: 86400\r\n"));

        var (_, outcome) = await DeliverAsync(sink.Port, "rcpt@example.test");
        var recipient = Assert.Single(outcome!.Recipients);
        Assert.Equal(RecipientStatus.Deferred, recipient.Status);
        Assert.Equal("4.7.5", recipient.StatusCode.ToString());
        Assert.Empty(sink.Messages);
        Assert.DoesNotContain(sink.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mta_sts_testing_mode_delivers_despite_a_bad_certificate()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(TestCertificates.SelfSigned("mx.example.test")) });
        _dns.Mx("example.test", 10, "mx.example.test").A("mx.example.test", "127.0.0.1").Txt("_mta-sts.example.test", "v=STSv1; id=1;");
        _https.Respond(PolicyPath, HttpsTestResponse.Text("version: STSv1\r\nmode: testing\r\nmx: other.example.test\r\nmax_age: 86400\r\n"));
        var (_, outcome) = await DeliverAsync(sink.Port, "rcpt@example.test");
        Assert.True(outcome!.AllDelivered);
        Assert.False(outcome.Tls!.Verified);
    }

    [Fact]
    public async Task Mta_sts_enforce_skips_an_mx_outside_the_policy_and_defers_when_none_is_left()
    {
        await using var sink = SmtpSink.Start();
        _dns.Mx("example.test", 10, "mx.attacker.test").A("mx.attacker.test", "127.0.0.1").Txt("_mta-sts.example.test", "v=STSv1; id=1;");
        _https.Respond(PolicyPath, HttpsTestResponse.Text("version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n"));
        var (route, outcome) = await DeliverAsync(sink.Port, "rcpt@example.test");
        Assert.Null(outcome);
        Assert.False(route.Failure!.Permanent);
        Assert.Contains("matches its MTA-STS policy", route.Failure.Diagnostic, StringComparison.Ordinal);
        Assert.Equal(0, sink.Connections);
    }

    [Fact]
    public async Task Dane_from_authenticated_tlsa_records_accepts_the_right_key_and_refuses_another()
    {
        var leaf = _certificates.Issue("mx.example.test");
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(leaf) });
        var match = TlsaRecord.For(leaf, TlsaUsage.DaneEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha256);
        _dns.Mx("example.test", 10, "mx.example.test").A("mx.example.test", "127.0.0.1").Authenticated("example.test")
            .Tlsa($"_{sink.Port}._tcp.mx.example.test", 3, 1, 1, match.Data);
        var (_, outcome) = await DeliverAsync(sink.Port, "rcpt@example.test");
        Assert.True(outcome!.AllDelivered, outcome.Recipients[0].Result);
        Assert.StartsWith("DANE-EE", outcome.Tls!.Detail, StringComparison.Ordinal);

        _dns.Remove($"_{sink.Port}._tcp.mx.example.test").Tlsa($"_{sink.Port}._tcp.mx.example.test", 3, 1, 1, new byte[32]);
        var (_, refused) = await DeliverAsync(sink.Port, "other@example.test");
        Assert.Equal(RecipientStatus.Deferred, refused!.Recipients[0].Status);
        Assert.Contains("no TLSA record matched", refused.Recipients[0].Diagnostic, StringComparison.Ordinal);
        Assert.Single(sink.Messages);
    }
}
