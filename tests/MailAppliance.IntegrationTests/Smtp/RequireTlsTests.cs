using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>The MTA-STS fixture on addresses of its own (MtaStsOutboundTests run beside it, with HTTPS on 443).</summary>
public sealed class RequireTlsFixture : MtaStsFixture
{
    protected override int FirstHost => 100;
}

/// <summary>
/// RFC 8689 through the real appliance: REQUIRETLS is offered and taken only under TLS, travels with the message to
/// a next hop vouched for by MTA-STS that offers it, and bounces with 5.7.30 (headers only) where it cannot be
/// honoured; <c>TLS-Required: No</c> sets the recipient domain's MTA-STS aside.
/// </summary>
public sealed class RequireTlsTests : IClassFixture<RequireTlsFixture>
{
    private readonly RequireTlsFixture _app;

    public RequireTlsTests(RequireTlsFixture app) => _app = app;

    private HttpsTestServer PublishPolicy(string domain)
    {
        var address = _app.NextAddress();
        var https = new HttpsTestServer(_app.Certificates.Context(_app.Certificates.Issue("mta-sts." + domain)), address, 443);
        https.Respond("/.well-known/mta-sts.txt", HttpsTestResponse.Text($"version: STSv1\r\nmode: enforce\r\nmx: mx.{domain}\r\nmax_age: 86400\r\n"));
        _app.Dns.A("mta-sts." + domain, address.ToString()).Txt("_mta-sts." + domain, "v=STSv1; id=20261206;");
        return https;
    }

    [Fact]
    public async Task Requiretls_is_offered_and_accepted_only_once_the_session_is_under_tls()
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.example");
        var plain = await smtp.Expect("250");
        Assert.Contains("STARTTLS", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("REQUIRETLS", plain, StringComparison.Ordinal);
        await smtp.Send("MAIL FROM:<bob@example.test> REQUIRETLS");
        await smtp.Expect("530 5.7.10");

        await smtp.Send("STARTTLS");
        await smtp.Expect("220");
        await smtp.UpgradeToTlsAsync();
        await smtp.Send("EHLO client.example");
        var secure = await smtp.Expect("250");
        Assert.Contains("250-REQUIRETLS", secure, StringComparison.Ordinal);
        await smtp.Send("MAIL FROM:<bob@example.test> REQUIRETLS");
        await smtp.Expect("250 2.1.0");
        await smtp.Send("QUIT");
        await smtp.Expect("221");
    }

    [Fact]
    public async Task A_requiretls_message_reaches_an_mta_sts_host_that_offers_requiretls_with_requiretls_on_mail()
    {
        await using var https = PublishPolicy("rtls-good.test");
        await using var sink = _app.Sink("rtls-good.test", new SmtpSinkOptions { KeywordsAfterTls = ["REQUIRETLS"] });
        var message = OutboundFixture.Message("bob@example.test", "x@rtls-good.test", "secret plans");
        await _app.SubmitAsync("bob@example.test", "bob@example.test", ["x@rtls-good.test"], message, "['REQUIRETLS']");

        var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Contains("<bob@example.test>", received.MailFrom, StringComparison.Ordinal);
        Assert.EndsWith(" REQUIRETLS", received.MailFrom, StringComparison.Ordinal);
        Assert.NotNull(received.Tls);
        Assert.Equal(message, OutboundFixture.WithoutOurFields(received.Content));
    }

    [Fact]
    public async Task Where_requiretls_cannot_be_honoured_the_sender_gets_a_5_7_30_dsn_with_the_header_only()
    {
        // An MTA-STS host that does not offer REQUIRETLS, and a host that offers it but nothing vouches for (no MTA-STS, no DANE).
        await using var https = PublishPolicy("rtls-none.test");
        await using var without = _app.Sink("rtls-none.test");
        await using var unvouched = _app.Sink("rtls-plain.test", new SmtpSinkOptions { KeywordsAfterTls = ["REQUIRETLS"] });
        var before = (await _app.MessagesAsync("bob", atLeast: 0)).Count;
        await _app.SubmitAsync("bob@example.test", "bob@example.test", ["x@rtls-none.test"], OutboundFixture.Message("bob@example.test", "x@rtls-none.test", "needs tls 1", "BODY-SECRET-1\r\n"), "['REQUIRETLS']");
        await _app.SubmitAsync("bob@example.test", "bob@example.test", ["y@rtls-plain.test"], OutboundFixture.Message("bob@example.test", "y@rtls-plain.test", "needs tls 2", "BODY-SECRET-2\r\n"), "['REQUIRETLS']");

        var dsns = (await _app.MessagesAsync("bob", atLeast: before + 2)).Skip(before).Select(File.ReadAllText).ToList();
        Assert.Equal(2, dsns.Count);
        foreach (var dsn in dsns)
        {
            Assert.StartsWith("Return-Path: <>\r\n", dsn, StringComparison.Ordinal);
            Assert.Contains("Status: 5.7.30", dsn, StringComparison.Ordinal);
            Assert.Contains("REQUIRETLS support required", dsn, StringComparison.Ordinal);
            Assert.Contains("Content-Type: text/rfc822-headers", dsn, StringComparison.Ordinal); // RFC 8689 §5: no body
            Assert.DoesNotContain("BODY-SECRET", dsn, StringComparison.Ordinal);
        }

        Assert.Contains(dsns, d => d.Contains("does not offer REQUIRETLS", StringComparison.Ordinal) && d.Contains("rtls-none.test", StringComparison.Ordinal));
        Assert.Contains(dsns, d => d.Contains("not authenticated by DANE, MTA-STS", StringComparison.Ordinal) && d.Contains("rtls-plain.test", StringComparison.Ordinal));
        Assert.DoesNotContain(without.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
        Assert.DoesNotContain(unvouched.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tls_required_no_delivers_past_an_mta_sts_policy_the_host_fails_still_over_starttls()
    {
        await using var https = PublishPolicy("rtls-optout.test");
        await using var sink = _app.Sink("rtls-optout.test", new SmtpSinkOptions { Certificate = _app.Certificates.Context(TestCertificates.SelfSigned("mx.rtls-optout.test")) });
        var message = Encoding.ASCII.GetBytes(
            $"From: bob@example.test\r\nTo: x@rtls-optout.test\r\nSubject: not secret\r\nTLS-Required: No\r\nMessage-ID: <{Guid.NewGuid():N}@example.test>\r\n\r\nDeliver me anyway.\r\n");
        await _app.SubmitAsync("bob@example.test", "bob@example.test", ["x@rtls-optout.test"], message);

        var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.NotNull(received.Tls); // RFC 8689 §4.2.2: STARTTLS is still used when offered
        Assert.Contains("TLS-Required: No", received.Text, StringComparison.Ordinal);
    }
}
