using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>
/// <c>serve</c> trusting the test CA (OpenSSL's SSL_CERT_FILE, which .NET honours), so that it fetches MTA-STS
/// policies over verified HTTPS from a server of the test's own on 127.0.0.x:443.
/// </summary>
public class MtaStsFixture : OutboundFixture
{
    protected override IDictionary<string, string>? ServeEnvironment
    {
        get
        {
            var bundle = Path.Combine(Root, "test-ca.pem");
            File.WriteAllText(bundle, Certificates.Root.ExportCertificatePem() + "\n");
            return new Dictionary<string, string> { ["SSL_CERT_FILE"] = bundle };
        }
    }
}

/// <summary>
/// RFC 8461 through the real appliance: a domain whose policy is <c>enforce</c> gets its mail only over TLS with a
/// certificate that chains to a trusted root and names the MX; a server with a bad certificate gets nothing.
/// </summary>
public sealed class MtaStsOutboundTests : IClassFixture<MtaStsFixture>
{
    private readonly MtaStsFixture _app;

    public MtaStsOutboundTests(MtaStsFixture app) => _app = app;

    private HttpsTestServer PublishPolicy(string domain, string mx)
    {
        var address = _app.NextAddress();
        var https = new HttpsTestServer(_app.Certificates.Context(_app.Certificates.Issue("mta-sts." + domain)), address, 443);
        https.Respond("/.well-known/mta-sts.txt", HttpsTestResponse.Text($"version: STSv1\r\nmode: enforce\r\nmx: {mx}\r\nmax_age: 86400\r\n"));
        _app.Dns.A("mta-sts." + domain, address.ToString()).Txt("_mta-sts." + domain, "v=STSv1; id=20261205;");
        return https;
    }

    [Fact]
    public async Task Enforce_delivers_over_verified_tls_to_a_server_whose_certificate_names_the_mx()
    {
        await using var https = PublishPolicy("sts-good.test", "mx.sts-good.test");
        await using var sink = _app.Sink("sts-good.test");
        await _app.SubmitAsync("alice@example.test", "alice@example.test", ["x@sts-good.test"], OutboundFixture.Message("alice@example.test", "x@sts-good.test", "sts good"));
        var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.NotNull(received.Tls);
        Assert.Contains("/.well-known/mta-sts.txt", string.Join("\n", https.Requests), StringComparison.Ordinal);
        // The recipient's delivery line (written once the outcome is settled) names the relay and the TLS session, verified.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<string> log;
        while ((log = [.. _app.Serve.OutputLines.Where(l => l.Contains("\"Delivery ", StringComparison.Ordinal) && l.Contains("via mx.sts-good.test", StringComparison.Ordinal))]).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no delivery log line");
            await Task.Delay(100);
        }

        Assert.True(log.Any(l => l.Contains("(verified", StringComparison.Ordinal)), string.Join("\n", log));
    }

    [Fact]
    public async Task Enforce_refuses_a_server_with_a_bad_certificate_and_the_mail_waits()
    {
        await using var https = PublishPolicy("sts-bad.test", "mx.sts-bad.test");
        await using var sink = _app.Sink("sts-bad.test", new SmtpSinkOptions { Certificate = _app.Certificates.Context(TestCertificates.SelfSigned("mx.sts-bad.test")) });
        var queueId = await _app.SubmitAsync("alice@example.test", "alice@example.test", ["x@sts-bad.test"], OutboundFixture.Message("alice@example.test", "x@sts-bad.test", "sts bad"));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string show;
        while (!(show = (await _app.Cli.RunAsync($"queue show {queueId}")).Output).Contains("deferred", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, show);
            await Task.Delay(100);
        }

        Assert.True(show.Contains("4.7.5", StringComparison.Ordinal), show + string.Join("\n", _app.Serve.OutputLines.Where(l => l.Contains("sts-bad", StringComparison.Ordinal))));
        Assert.Empty(sink.Messages);
        Assert.DoesNotContain(sink.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }
}
