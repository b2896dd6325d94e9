using System.Text;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Smtp.Client;
using MailAppliance.Smtp.Client.Destinations;
using MailAppliance.Smtp.Client.MtaSts;
using MailAppliance.Testing;
using MailAppliance.Testing.Dns;
using static MailAppliance.Smtp.Tests.Client.SinkHarness;
using TlsaRecord = MailAppliance.Smtp.Client.TlsaRecord;

namespace MailAppliance.Smtp.Tests.Client;

/// <summary>
/// Debian's Postfix as the MX of example.test found through the test's DNS, with an MTA-STS policy published over
/// HTTPS and TLSA records: enforce mode and DANE against a real peer.
/// </summary>
public sealed class PostfixPolicyTests(PostfixFixture fixture) : IClassFixture<PostfixFixture>, IAsyncLifetime
{
    private LoopbackDnsServer _dns = null!;
    private DnsResolver _resolver = null!;
    private HttpsTestServer _https = null!;
    private MtaStsFetcher _fetcher = null!;

    public Task InitializeAsync()
    {
        _dns = LoopbackDnsServer.Start();
        _resolver = new DnsResolver(new DnsResolverOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(2), Attempts = 1, UseCache = false });
        _https = new HttpsTestServer(fixture.Certificates.Context(fixture.Certificates.Issue("mta-sts.example.test")));
        _fetcher = new MtaStsFetcher(new MtaStsFetcherOptions { Port = _https.Port, TrustedRoots = fixture.Certificates.Roots }, async (host, ct) => (await _resolver.LookupAAsync(host, ct)).Records);
        _dns.A("mta-sts.example.test", "127.0.0.1").Txt("_mta-sts.example.test", "v=STSv1; id=20261205;");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _fetcher.Dispose();
        await _https.DisposeAsync();
        await _dns.DisposeAsync();
    }

    private async Task<DeliveryOutcome> DeliverAsync(string recipient, bool trustTestCa = true)
    {
        var resolver = new DestinationResolver(_resolver, DeliveryRouting.Default with { Port = fixture.Postfix.Port }, new DestinationOptions(),
            new MtaStsResolver(_resolver, _fetcher, new MemoryMtaStsPolicyStore()));
        var route = await resolver.ResolveAsync("example.test");
        Assert.True(route.Target is not null, route.Failure?.ToString());
        var body = Encoding.UTF8.GetBytes($"Message-ID: <{recipient}>\r\nFrom: a@origin.test\r\nTo: {recipient}\r\nSubject: policy\r\n\r\nbody\r\n");
        await using var delivery = new SmtpDelivery(Options(trustTestCa ? fixture.Certificates : null));
        return await delivery.SendAsync(route.Target, Envelope(body, recipient), Body(body));
    }

    [Fact]
    public async Task Mta_sts_enforce_delivers_to_postfix_whose_certificate_names_the_mx()
    {
        _dns.Mx("example.test", 10, "mx.example.test").A("mx.example.test", "127.0.0.1");
        _https.Respond("/.well-known/mta-sts.txt", HttpsTestResponse.Text("version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 604800\r\n"));
        var outcome = await DeliverAsync("sts-ok@example.test");
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.Equal("verify:mx.example.test", outcome.Tls!.Policy);
        Assert.True(outcome.Tls.Verified);
        await fixture.Postfix.WaitForMessageAsync("<sts-ok@example.test>");
    }

    [Fact]
    public async Task Mta_sts_enforce_refuses_postfix_when_its_certificate_does_not_name_the_mx()
    {
        // The MX is mx2.example.test (allowed by the policy's wildcard), but Postfix's certificate names mx.example.test.
        _dns.Mx("example.test", 10, "mx2.example.test").A("mx2.example.test", "127.0.0.1");
        _https.Respond("/.well-known/mta-sts.txt", HttpsTestResponse.Text("version: STSv1\r\nmode: enforce\r\nmx: *.example.test\r\nmax_age: 604800\r\n"));
        var outcome = await DeliverAsync("sts-bad@example.test");
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Deferred, recipient.Status);
        Assert.Equal("4.7.5", recipient.StatusCode.ToString());
        Assert.Contains("does not name mx2.example.test", recipient.Diagnostic, StringComparison.Ordinal);
        Assert.DoesNotContain("sts-bad@", fixture.Postfix.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_records_in_a_signed_zone_authenticate_postfix_and_a_wrong_one_refuses_it()
    {
        var tlsaName = $"_{fixture.Postfix.Port}._tcp.mx.example.test";
        var match = TlsaRecord.For(fixture.Certificate, TlsaUsage.DaneEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha256);
        _dns.Mx("example.test", 10, "mx.example.test").A("mx.example.test", "127.0.0.1").Authenticated("example.test").Tlsa(tlsaName, 3, 1, 1, match.Data);
        var outcome = await DeliverAsync("dane-dns@example.test", trustTestCa: false);
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.StartsWith("DANE-EE", outcome.Tls!.Detail, StringComparison.Ordinal);

        _dns.Remove(tlsaName).Tlsa(tlsaName, 3, 1, 1, new byte[32]);
        var refused = await DeliverAsync("dane-dns-bad@example.test", trustTestCa: false);
        Assert.Equal(RecipientStatus.Deferred, refused.Recipients[0].Status);
        Assert.DoesNotContain("dane-dns-bad@", fixture.Postfix.Log, StringComparison.Ordinal);
    }
}
