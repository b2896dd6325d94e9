using System.Net;
using System.Security.Authentication;
using MailAppliance.Smtp.Client;
using MailAppliance.Testing;
using static MailAppliance.Smtp.Tests.Client.SinkHarness;

namespace MailAppliance.Smtp.Tests.Client;

public sealed class StartTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    private SmtpSink TlsSink(string name = "mx.example.test") =>
        SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(_certificates.Issue(name)) });

    private async Task<DeliveryOutcome> SendAsync(SmtpSink sink, TlsPolicy policy)
    {
        var body = Message();
        await using var delivery = new SmtpDelivery(Options(_certificates));
        return await delivery.SendAsync(Target(sink, policy), Envelope(body, "rcpt@example.test"), Body(body));
    }

    [Fact]
    public async Task Opportunistic_tls_is_used_when_offered_and_the_message_goes_encrypted()
    {
        await using var sink = TlsSink();
        var outcome = await SendAsync(sink, TlsPolicy.Opportunistic);
        Assert.True(outcome.AllDelivered);
        var message = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.NotNull(message.Tls);
        Assert.True(outcome.Tls!.Used);
        Assert.True(outcome.Tls.Verified, outcome.Tls.Detail); // our CA is trusted in this test
        Assert.Equal(message.Tls, outcome.Tls.Protocol);
        Assert.NotNull(outcome.Tls.CipherSuite);
        Assert.Equal(2, sink.Commands.Count(c => c.StartsWith("EHLO", StringComparison.Ordinal))); // RFC 3207 §4.2
    }

    [Fact]
    public async Task Opportunistic_tls_takes_a_certificate_it_cannot_verify_and_says_so()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(TestCertificates.SelfSigned("other.example.test")) });
        var outcome = await SendAsync(sink, TlsPolicy.Opportunistic);
        Assert.True(outcome.AllDelivered);
        Assert.True(outcome.Tls!.Used);
        Assert.False(outcome.Tls.Verified);
        Assert.Contains("not trusted", outcome.Tls.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_starttls_on_offer_opportunistic_delivery_goes_in_plaintext()
    {
        await using var sink = SmtpSink.Start();
        var outcome = await SendAsync(sink, TlsPolicy.Opportunistic);
        Assert.True(outcome.AllDelivered);
        Assert.False(outcome.Tls!.Used);
        Assert.Equal("STARTTLS not offered", outcome.Tls.Detail);
        Assert.Null(Assert.Single(sink.Messages).Tls);
    }

    [Fact]
    public async Task A_failed_opportunistic_handshake_is_retried_in_plaintext()
    {
        // The sink says 220 to STARTTLS and then sends something that is not TLS.
        await using var broken = SmtpSink.Start(new SmtpSinkOptions
        {
            Certificate = _certificates.Context(_certificates.Issue("mx.example.test")),
            BreakTlsHandshake = true,
        });
        var outcome = await SendAsync(broken, TlsPolicy.Opportunistic);
        Assert.True(outcome.AllDelivered);
        Assert.Equal(2, broken.Connections);
        Assert.False(outcome.Tls!.Used);
        Assert.Equal(ConnectionFailureKind.TlsFailed, outcome.Attempts[0].Failure!.Kind);
        Assert.StartsWith("plaintext retry after TLS handshake with mx.example.test", outcome.Tls.Detail, StringComparison.Ordinal);
        Assert.Null(Assert.Single(broken.Messages).Tls);
    }

    [Fact]
    public async Task Required_tls_defers_when_starttls_is_not_offered()
    {
        await using var sink = SmtpSink.Start();
        var outcome = await SendAsync(sink, TlsPolicy.RequiredUnverified);
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Deferred, recipient.Status);
        Assert.Equal("4.7.4", recipient.StatusCode.ToString());
        Assert.Contains("TLS is required, but was not offered by host mx.example.test", recipient.Diagnostic, StringComparison.Ordinal);
        Assert.Equal(ConnectionFailureKind.TlsNotAvailable, outcome.LastFailure!.Kind);
        Assert.DoesNotContain(sink.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Required_unverified_tls_takes_any_certificate()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(TestCertificates.SelfSigned("whatever")) });
        var outcome = await SendAsync(sink, TlsPolicy.RequiredUnverified);
        Assert.True(outcome.AllDelivered);
        Assert.True(outcome.Tls!.Used);
        Assert.False(outcome.Tls.Verified);
    }

    [Fact]
    public async Task Verified_tls_delivers_to_a_trusted_certificate_naming_the_mx()
    {
        await using var sink = TlsSink("mx.example.test");
        var outcome = await SendAsync(sink, TlsPolicy.RequiredVerified());
        Assert.True(outcome.AllDelivered);
        Assert.True(outcome.Tls!.Verified);
        Assert.Equal("trusted chain, certificate names mx.example.test", outcome.Tls.Detail);
    }

    [Fact]
    public async Task Verified_tls_accepts_a_wildcard_certificate()
    {
        await using var sink = TlsSink("*.example.test");
        var outcome = await SendAsync(sink, TlsPolicy.RequiredVerified());
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
    }

    [Fact]
    public async Task Verified_tls_refuses_a_certificate_for_another_name()
    {
        await using var sink = TlsSink("other.example.test");
        var outcome = await SendAsync(sink, TlsPolicy.RequiredVerified());
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Deferred, recipient.Status);
        Assert.Equal("4.7.5", recipient.StatusCode.ToString());
        Assert.Contains("does not name mx.example.test", recipient.Diagnostic, StringComparison.Ordinal);
        Assert.Equal(ConnectionFailureKind.TlsFailed, outcome.LastFailure!.Kind);
        Assert.Empty(sink.Messages);
        Assert.DoesNotContain(sink.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verified_tls_refuses_an_untrusted_certificate()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(TestCertificates.SelfSigned("mx.example.test")) });
        var outcome = await SendAsync(sink, TlsPolicy.RequiredVerified());
        Assert.Equal(RecipientStatus.Deferred, Assert.Single(outcome.Recipients).Status);
        Assert.Contains("not trusted", outcome.Recipients[0].Diagnostic, StringComparison.Ordinal);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task Verified_tls_refuses_an_expired_certificate()
    {
        var expired = _certificates.Issue(["mx.example.test"], DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(expired) });
        var outcome = await SendAsync(sink, TlsPolicy.RequiredVerified());
        Assert.Equal(RecipientStatus.Deferred, Assert.Single(outcome.Recipients).Status);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task Dane_ee_matches_the_servers_key_whatever_its_name_and_dates()
    {
        var leaf = _certificates.Issue(["unrelated.example.test"], DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(leaf, includeIntermediate: false) });
        var policy = TlsPolicy.Dane([TlsaRecord.For(leaf, TlsaUsage.DaneEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha256)]);
        var outcome = await SendAsync(sink, policy);
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.True(outcome.Tls!.Verified);
        Assert.StartsWith("DANE-EE TLSA record 1 1 matched", outcome.Tls.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TlsaSelector.FullCertificate, TlsaMatching.Sha512)]
    [InlineData(TlsaSelector.FullCertificate, TlsaMatching.Exact)]
    [InlineData(TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha512)]
    public async Task Dane_ee_matches_with_every_selector_and_matching_type(TlsaSelector selector, TlsaMatching matching)
    {
        var leaf = _certificates.Issue("mx.example.test");
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(leaf) });
        var outcome = await SendAsync(sink, TlsPolicy.Dane([TlsaRecord.For(leaf, TlsaUsage.DaneEe, selector, matching)]));
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.True(outcome.Tls!.Verified);
    }

    [Fact]
    public async Task Dane_refuses_a_server_whose_key_matches_no_tlsa_record()
    {
        var leaf = _certificates.Issue("mx.example.test");
        var other = _certificates.Issue("mx.example.test");
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(leaf) });
        var outcome = await SendAsync(sink, TlsPolicy.Dane([TlsaRecord.For(other, TlsaUsage.DaneEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha256)]));
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Deferred, recipient.Status);
        Assert.Equal("4.7.5", recipient.StatusCode.ToString());
        Assert.Contains("no TLSA record matched", recipient.Diagnostic, StringComparison.Ordinal);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task Dane_ta_matches_the_issuing_ca_the_server_sends_and_checks_the_name()
    {
        await using var sink = TlsSink("mx.example.test");
        var anchor = TlsaRecord.For(_certificates.Intermediate, TlsaUsage.DaneTa, TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha256);
        await using var delivery = new SmtpDelivery(Options()); // no trusted roots: DANE-TA alone must carry it
        var body = Message();
        var outcome = await delivery.SendAsync(Target(sink, TlsPolicy.Dane([anchor])), Envelope(body, "rcpt@example.test"), Body(body));
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.StartsWith("DANE-TA TLSA record matched trust anchor", outcome.Tls!.Detail, StringComparison.Ordinal);

        await using var wrongName = TlsSink("other.example.test");
        var refused = await delivery.SendAsync(Target(wrongName, TlsPolicy.Dane([anchor])), Envelope(body, "rcpt@example.test"), Body(body));
        Assert.Equal(RecipientStatus.Deferred, refused.Recipients[0].Status);
        Assert.Contains("does not name mx.example.test", refused.Recipients[0].Diagnostic, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ta_refuses_a_certificate_that_only_claims_the_anchor_as_issuer()
    {
        using var forger = new TestCertificates(); // same CA names, other keys
        var forged = forger.Issue("mx.example.test");
        Assert.Equal(_certificates.Intermediate.Subject, forged.Issuer);
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Certificate = System.Net.Security.SslStreamCertificateContext.Create(forged, [_certificates.Intermediate], offline: true),
        });
        var anchor = TlsaRecord.For(_certificates.Intermediate, TlsaUsage.DaneTa, TlsaSelector.FullCertificate, TlsaMatching.Sha256);
        var outcome = await SendAsync(sink, TlsPolicy.Dane([anchor]));
        Assert.Equal(RecipientStatus.Deferred, outcome.Recipients[0].Status);
        Assert.Contains("does not chain to it", outcome.Recipients[0].Diagnostic, StringComparison.Ordinal);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task Dane_with_only_unusable_records_still_requires_tls_but_not_a_match()
    {
        var leaf = TestCertificates.SelfSigned("mx.example.test");
        var pkix = TlsaRecord.For(leaf, TlsaUsage.PkixEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha256);
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(TestCertificates.SelfSigned("x")) });
        var outcome = await SendAsync(sink, TlsPolicy.Dane([pkix]));
        Assert.True(outcome.AllDelivered);
        Assert.False(outcome.Tls!.Verified);
        Assert.Contains("no usable TLSA record", outcome.Tls.Detail, StringComparison.Ordinal);

        await using var plain = SmtpSink.Start();
        var refused = await SendAsync(plain, TlsPolicy.Dane([pkix]));
        Assert.Equal(RecipientStatus.Deferred, refused.Recipients[0].Status);
    }

    [Fact]
    public async Task Requiretls_is_honoured_over_verified_tls_to_a_server_that_offers_it()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Certificate = _certificates.Context(_certificates.Issue("mx.example.test")),
            Keywords = ["PIPELINING", "8BITMIME", "REQUIRETLS"],
        });
        var body = Message();
        await using var delivery = new SmtpDelivery(Options(_certificates));
        var outcome = await delivery.SendAsync(Target(sink, TlsPolicy.RequiredVerified()), Envelope(body, "rcpt@example.test") with { RequireTls = true }, Body(body));
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.EndsWith(" REQUIRETLS", Assert.Single(sink.Messages).MailFrom, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requiretls_refuses_a_host_that_only_opportunistic_tls_vouches_for_even_with_a_good_certificate()
    {
        // RFC 8689 §4.2.1: the MX itself must be authenticated (DANE, MTA-STS, or configuration), not only its certificate.
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Certificate = _certificates.Context(_certificates.Issue("mx.example.test")),
            Keywords = ["PIPELINING", "8BITMIME", "REQUIRETLS"],
        });
        var body = Message();
        await using var delivery = new SmtpDelivery(Options(_certificates));
        var outcome = await delivery.SendAsync(Target(sink, TlsPolicy.Opportunistic), Envelope(body, "rcpt@example.test") with { RequireTls = true }, Body(body));
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Bounced, recipient.Status);
        Assert.Equal("5.7.30", recipient.StatusCode.ToString());
        Assert.Contains("not authenticated by DANE, MTA-STS or configuration", recipient.Diagnostic, StringComparison.Ordinal);
        Assert.DoesNotContain(sink.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Requiretls_to_a_verified_host_without_the_extension_bounces_with_5_7_30_before_mail()
    {
        await using var sink = TlsSink();
        var body = Message();
        await using var delivery = new SmtpDelivery(Options(_certificates));
        var outcome = await delivery.SendAsync(Target(sink, TlsPolicy.RequiredVerified()), Envelope(body, "rcpt@example.test") with { RequireTls = true }, Body(body));
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Bounced, recipient.Status);
        Assert.Equal("5.7.30", recipient.StatusCode.ToString());
        Assert.Contains("does not offer REQUIRETLS", recipient.Diagnostic, StringComparison.Ordinal);
        Assert.True(outcome.Tls!.Verified);
        Assert.DoesNotContain(sink.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_requiretls_message_refused_by_the_first_mx_goes_to_the_next_that_offers_requiretls()
    {
        // RFC 8689 §4.2.1 refuses a host, not the message: the next MX may offer REQUIRETLS.
        await using var without = TlsSink("mx1.example.test");
        await using var with = SmtpSink.Start(new SmtpSinkOptions
        {
            Certificate = _certificates.Context(_certificates.Issue("mx2.example.test")),
            Keywords = ["PIPELINING", "8BITMIME", "REQUIRETLS"],
        }, IPAddress.Parse("127.0.0.2"), without.Port);
        var target = new SmtpTarget("example.test",
        [
            new SmtpHost("mx1.example.test", [without.Address], TlsPolicy.RequiredVerified()),
            new SmtpHost("mx2.example.test", [with.Address], TlsPolicy.RequiredVerified()),
        ], without.Port);
        var body = Message();
        await using var delivery = new SmtpDelivery(Options(_certificates));
        var outcome = await delivery.SendAsync(target, Envelope(body, "rcpt@example.test") with { RequireTls = true }, Body(body));

        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.Equal("mx2.example.test[127.0.0.2]:" + without.Port, outcome.Recipients[0].RemoteHost);
        Assert.EndsWith(" REQUIRETLS", Assert.Single(await with.WaitForMessagesAsync(1)).MailFrom, StringComparison.Ordinal);
        Assert.DoesNotContain(without.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_requiretls_refusal_waits_while_another_mx_could_not_be_reached_and_bounces_once_every_mx_refused()
    {
        await using var without = TlsSink("mx1.example.test");
        var target = new SmtpTarget("example.test",
        [
            new SmtpHost("mx1.example.test", [without.Address], TlsPolicy.RequiredVerified()),
            new SmtpHost("mx2.example.test", [IPAddress.Parse("127.0.0.2")], TlsPolicy.RequiredVerified()), // nothing listens
        ], without.Port);
        var body = Message();
        await using var delivery = new SmtpDelivery(Options(_certificates));
        var waiting = Assert.Single((await delivery.SendAsync(target, Envelope(body, "rcpt@example.test") with { RequireTls = true }, Body(body))).Recipients);
        Assert.Equal(RecipientStatus.Deferred, waiting.Status);
        Assert.Equal("4.7.30", waiting.StatusCode.ToString());
        Assert.Contains("does not offer REQUIRETLS", waiting.Diagnostic, StringComparison.Ordinal);

        await using var alsoWithout = SmtpSink.Start(
            new SmtpSinkOptions { Certificate = _certificates.Context(_certificates.Issue("mx2.example.test")) }, IPAddress.Parse("127.0.0.2"), without.Port);
        await using var fresh = new SmtpDelivery(Options(_certificates));
        var outcome = await fresh.SendAsync(target, Envelope(body, "rcpt@example.test") with { RequireTls = true }, Body(body));
        var bounced = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Bounced, bounced.Status);
        Assert.Equal("5.7.30", bounced.StatusCode.ToString());
        Assert.Equal(2, outcome.Attempts.Count);
    }

    [Fact]
    public async Task A_failed_handshake_is_not_retried_in_plaintext_for_a_requiretls_message()
    {
        await using var broken = SmtpSink.Start(new SmtpSinkOptions
        {
            Certificate = _certificates.Context(_certificates.Issue("mx.example.test")),
            BreakTlsHandshake = true,
        });
        var body = Message();
        await using var delivery = new SmtpDelivery(Options(_certificates));
        var outcome = await delivery.SendAsync(Target(broken, TlsPolicy.Opportunistic), Envelope(body, "rcpt@example.test") with { RequireTls = true }, Body(body));
        Assert.Equal(RecipientStatus.Deferred, Assert.Single(outcome.Recipients).Status);
        Assert.Equal(1, broken.Connections);
        Assert.Empty(broken.Messages);
    }

    [Fact]
    public async Task Tls_works_over_ipv6_loopback()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = _certificates.Context(_certificates.Issue("mx.example.test")) }, IPAddress.IPv6Loopback);
        var outcome = await SendAsync(sink, TlsPolicy.RequiredVerified());
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.Equal("mx.example.test[::1]:" + sink.Port, outcome.Recipients[0].RemoteHost);
        Assert.True(outcome.Tls!.Protocol is SslProtocols.Tls12 or SslProtocols.Tls13);
    }
}
