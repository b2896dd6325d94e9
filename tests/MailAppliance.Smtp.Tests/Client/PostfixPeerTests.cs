using System.Net;
using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Smtp.Client;
using MailAppliance.Testing;
using static MailAppliance.Smtp.Tests.Client.SinkHarness;

namespace MailAppliance.Smtp.Tests.Client;

/// <summary>One Postfix with STARTTLS (a certificate from the test CA for mx.example.test) and two scripted recipients.</summary>
public sealed class PostfixFixture : IAsyncLifetime
{
    public TestCertificates Certificates { get; } = new();

    public PostfixServer Postfix { get; private set; } = null!;

    public System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate { get; private set; } = null!;

    private string _pemDirectory = "";

    public async Task InitializeAsync()
    {
        Certificate = Certificates.Issue("mx.example.test");
        var pemDirectory = _pemDirectory = TestDirectories.Create("postfix-tls");
        Postfix = await PostfixServer.StartAsync(new PostfixOptions
        {
            Tls = Certificates.WritePem(Certificate, pemDirectory, "mx"),
            RecipientReplies = new Dictionary<string, string>
            {
                ["tempfail@example.test"] = "450 4.2.0 Greylisted, try again later",
                ["reject@example.test"] = "550 5.1.1 User unknown here",
            },
        });
    }

    public async Task DisposeAsync()
    {
        await Postfix.DisposeAsync();
        TestDirectories.Delete(_pemDirectory);
        Certificates.Dispose();
    }
}

/// <summary>Debian's Postfix as the receiving MTA: what a real peer makes of our client.</summary>
public sealed class PostfixPeerTests(PostfixFixture fixture) : IClassFixture<PostfixFixture>
{
    private PostfixServer Postfix => fixture.Postfix;

    private SmtpTarget Target(TlsPolicy tls, string host = "mx.example.test") =>
        new("example.test", [new SmtpHost(host, [IPAddress.Loopback], tls)], Postfix.Port);

    private static byte[] Signed(string id) => Encoding.UTF8.GetBytes(
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=origin.test; s=sel;\r\n"
        + "\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
        + "\tb=dGVzdCBzaWduYXR1cmU=\r\n"
        + $"Message-ID: <{id}@origin.test>\r\nDate: Sat, 05 Dec 2026 12:00:00 +0000\r\n"
        + "From: Sender <sender@origin.test>\r\nTo: rcpt@example.test\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
        + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + ".leading dot\r\n..two dots\r\n.\r\nGrüße aus Köln — 8-bit body\r\n\ttab-indented   \r\nlast line\r\n");

    /// <summary>The delivered file minus the trace headers Postfix put on top, with CRLF back (Postfix stores LF).</summary>
    private static byte[] AsSent(byte[] delivered)
    {
        var text = Encoding.UTF8.GetString(delivered);
        var start = text.IndexOf("DKIM-Signature:", StringComparison.Ordinal);
        Assert.True(start >= 0, text);
        var trace = text[..start];
        Assert.All(trace.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('\t') && !l.StartsWith(' ')),
            line => Assert.Matches("^(Return-Path|Delivered-To|X-Original-To|Received):", line));
        return Encoding.UTF8.GetBytes(text[start..].Replace("\n", "\r\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_signed_8bit_message_arrives_byte_exact_over_starttls_with_bdat_and_dsn()
    {
        var body = Signed("exact");
        // The sender is in Postfix's own domain, so the success DSN Postfix sends lands in the same maildir.
        var envelope = new OutboundEnvelope(
            MailAddress.Parse("dsn-sender@example.test"),
            [new OutboundRecipient(MailAddress.Parse("exact@example.test"), DsnNotify.Success | DsnNotify.Failure, new OriginalRecipient("rfc822", "list-alias@origin.test"))],
            body.Length,
            BodyType.EightBitMime,
            Return: DsnReturn.Headers,
            EnvelopeId: "ENV-exact-1");
        await using var delivery = new SmtpDelivery(Options(fixture.Certificates));
        var outcome = await delivery.SendAsync(Target(TlsPolicy.Opportunistic), envelope, Body(body));

        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.Matches($@"^250 2\.0\.0 Ok: {body.Length} bytes queued as [0-9A-F]+$", outcome.DataReply!.ToString()); // RFC 3030 BDAT reply
        var capabilities = outcome.Attempts.Single().Capabilities!;
        Assert.True(capabilities.Pipelining && capabilities.Chunking && capabilities.EightBitMime && capabilities.Dsn && capabilities.SmtpUtf8);
        Assert.True(outcome.Tls!.Used);
        Assert.True(outcome.Tls.Verified, outcome.Tls.Detail);

        var delivered = await Postfix.WaitForMessageAsync("<exact@origin.test>", unless: "Original-Envelope-Id:");
        Assert.Equal(body, AsSent(delivered));
        Assert.Contains($"using {outcome.Tls.ProtocolName}", Encoding.UTF8.GetString(delivered), StringComparison.Ordinal); // Postfix's Received: names the TLS

        // NOTIFY=SUCCESS, ORCPT, ENVID and RET=HDRS reached Postfix: its success DSN carries them (RFC 3464).
        var dsn = Encoding.UTF8.GetString(await Postfix.WaitForMessageAsync("Original-Envelope-Id: ENV-exact-1"));
        Assert.Contains("Original-Recipient: rfc822;list-alias@origin.test", dsn, StringComparison.Ordinal);
        Assert.Contains("Final-Recipient: rfc822; exact@example.test", dsn, StringComparison.Ordinal);
        Assert.Contains("Action: delivered", dsn, StringComparison.Ordinal);
        Assert.DoesNotContain("8-bit body", dsn, StringComparison.Ordinal); // RET=HDRS: headers only
        var queueId = outcome.DataReply.Text.Split(' ')[^1];
        await Postfix.WaitForLogAsync($"{queueId}: sender delivery status notification:");
    }

    [Fact]
    public async Task Postfixs_4xx_and_5xx_per_recipient_are_recorded_verbatim()
    {
        var body = Signed("mixed");
        await using var delivery = new SmtpDelivery(Options(fixture.Certificates));
        var outcome = await delivery.SendAsync(Target(TlsPolicy.Opportunistic), Envelope(body, "mixed@example.test", "tempfail@example.test", "reject@example.test"), Body(body));

        Assert.Equal([RecipientStatus.Delivered, RecipientStatus.Deferred, RecipientStatus.Bounced], outcome.Recipients.Select(r => r.Status));
        Assert.Equal("450 4.2.0 <tempfail@example.test>: Recipient address rejected: Greylisted, try again later", outcome.Recipients[1].Result);
        Assert.Equal("550 5.1.1 <reject@example.test>: Recipient address rejected: User unknown here", outcome.Recipients[2].Result);
        Assert.Equal("5.1.1", outcome.Recipients[2].StatusCode.ToString());
        Assert.Equal($"mx.example.test[127.0.0.1]:{Postfix.Port}", outcome.Recipients[2].RemoteHost);
    }

    [Fact]
    public async Task Several_messages_share_one_connection_to_postfix()
    {
        await using var delivery = new SmtpDelivery(Options(fixture.Certificates));
        for (var i = 0; i < 3; i++)
        {
            var body = Signed($"reuse{i}");
            var outcome = await delivery.SendAsync(Target(TlsPolicy.Opportunistic), Envelope(body, $"reuse{i}@example.test"), Body(body));
            Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
            Assert.Equal(i > 0, outcome.Attempts.Single().Reused);
        }

        await delivery.DisposeAsync(); // QUIT: Postfix logs the session's counts when it ends
        var summary = await Postfix.WaitForLogAsync("mail=3 rcpt=3 bdat=3");
        Assert.Contains("ehlo=2 starttls=1", summary, StringComparison.Ordinal); // STARTTLS used, and one handshake for all three
        Assert.Contains("rset=2", summary, StringComparison.Ordinal);
        Assert.Contains("starttls=1", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verified_tls_refuses_postfix_under_another_name_and_nothing_is_delivered()
    {
        // What MTA-STS enforce asks for (RFC 8461 §4.2): the certificate must name the MX. Postfix's names mx.example.test.
        var body = Signed("wrongname");
        await using var delivery = new SmtpDelivery(Options(fixture.Certificates));
        var outcome = await delivery.SendAsync(Target(TlsPolicy.RequiredVerified(), "mx2.example.test"), Envelope(body, "wrongname@example.test"), Body(body));
        Assert.Equal(RecipientStatus.Deferred, outcome.Recipients[0].Status);
        Assert.Equal("4.7.5", outcome.Recipients[0].StatusCode.ToString());
        Assert.Contains("does not name mx2.example.test", outcome.Recipients[0].Diagnostic, StringComparison.Ordinal);
        Assert.DoesNotContain("wrongname@", Postfix.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ee_matches_postfixs_key_and_a_wrong_record_is_refused()
    {
        var body = Signed("dane");
        await using var delivery = new SmtpDelivery(Options()); // no trusted roots: DANE alone decides
        var match = TlsaRecord.For(fixture.Certificate, TlsaUsage.DaneEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha256);
        var matched = await delivery.SendAsync(Target(TlsPolicy.Dane([match])), Envelope(body, "dane@example.test"), Body(body));
        Assert.True(matched.AllDelivered, matched.Recipients[0].Result);
        Assert.True(matched.Tls!.Verified);

        using var other = fixture.Certificates.Issue("mx.example.test");
        var wrong = TlsaRecord.For(other, TlsaUsage.DaneEe, TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha256);
        var refused = await delivery.SendAsync(Target(TlsPolicy.Dane([wrong])), Envelope(Signed("dane-wrong"), "danewrong@example.test"), Body(Signed("dane-wrong")));
        Assert.Equal(RecipientStatus.Deferred, refused.Recipients[0].Status);
        Assert.Contains("no TLSA record matched", refused.Recipients[0].Diagnostic, StringComparison.Ordinal);
        Assert.DoesNotContain("danewrong@", Postfix.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ta_matches_the_intermediate_postfix_sends()
    {
        var body = Signed("daneta");
        await using var delivery = new SmtpDelivery(Options());
        var anchor = TlsaRecord.For(fixture.Certificates.Intermediate, TlsaUsage.DaneTa, TlsaSelector.SubjectPublicKeyInfo, TlsaMatching.Sha256);
        var outcome = await delivery.SendAsync(Target(TlsPolicy.Dane([anchor])), Envelope(body, "daneta@example.test"), Body(body));
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.StartsWith("DANE-TA", outcome.Tls!.Detail, StringComparison.Ordinal);
    }
}

/// <summary>A Postfix with smtputf8_enable = no.</summary>
public sealed class PostfixWithoutSmtpUtf8Tests : IAsyncLifetime
{
    private PostfixServer _postfix = null!;

    public async Task InitializeAsync() => _postfix = await PostfixServer.StartAsync(new PostfixOptions { SmtpUtf8 = false });

    public async Task DisposeAsync() => await _postfix.DisposeAsync();

    [Fact]
    public async Task A_utf8_address_is_refused_with_5_6_7_before_anything_is_sent()
    {
        var body = Message();
        await using var delivery = new SmtpDelivery(Options());
        var target = new SmtpTarget("example.test", [new SmtpHost("mx.example.test", [IPAddress.Loopback], TlsPolicy.Opportunistic)], _postfix.Port);
        var outcome = await delivery.SendAsync(target, Envelope(body, "jörg@example.test", "plain@example.test"), Body(body));

        Assert.False(outcome.Attempts.Single().Capabilities!.SmtpUtf8);
        Assert.All(outcome.Recipients, r =>
        {
            Assert.Equal(RecipientStatus.Bounced, r.Status);
            Assert.Equal("5.6.7", r.StatusCode.ToString());
        });
        Assert.Contains($"SMTPUTF8 is required, but was not offered by host mx.example.test[127.0.0.1]:{_postfix.Port}", outcome.Recipients[0].Diagnostic, StringComparison.Ordinal);

        // The same server still takes an ASCII message on the cached connection.
        var ascii = await delivery.SendAsync(target, Envelope(body, "plain@example.test"), Body(body));
        Assert.True(ascii.AllDelivered, ascii.Recipients[0].Result);
        Assert.True(ascii.Attempts.Single().Reused);
        await _postfix.WaitForMessagesAsync(1);
        Assert.DoesNotContain("j\u00f6rg", _postfix.Log, StringComparison.Ordinal);
    }
}
