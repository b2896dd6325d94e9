using MailAppliance.Smtp.Client;
using MailAppliance.Testing;
using static MailAppliance.Smtp.Tests.Client.SinkHarness;

namespace MailAppliance.Smtp.Tests.Client;

public sealed class SmarthostAuthTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    private SmtpSink Smarthost(params string[] mechanisms) => SmtpSink.Start(new SmtpSinkOptions
    {
        Certificate = _certificates.Context(_certificates.Issue("relay.example.test")),
        KeywordsAfterTls = mechanisms.Length == 0 ? [] : ["AUTH " + string.Join(' ', mechanisms)],
        Users = new Dictionary<string, string> { ["relay-user"] = "s3cret pass" },
    });

    private async Task<DeliveryOutcome> SendAsync(SmtpSink sink, SmtpCredentials credentials, TlsPolicy? tls = null)
    {
        var body = Message();
        await using var delivery = new SmtpDelivery(Options(_certificates));
        return await delivery.SendAsync(Target(sink, tls ?? TlsPolicy.RequiredVerified(), "relay.example.test", credentials), Envelope(body, "far@away.test"), Body(body));
    }

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("LOGIN")]
    public async Task The_smarthost_gets_the_credentials_over_tls(string mechanism)
    {
        await using var sink = Smarthost(mechanism);
        var outcome = await SendAsync(sink, new SmtpCredentials("relay-user", "s3cret pass"));
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        var message = Assert.Single(sink.Messages);
        Assert.Equal("relay-user", message.AuthenticatedUser);
        Assert.NotNull(message.Tls);
        Assert.Contains(sink.Commands, c => c.StartsWith("AUTH " + mechanism, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrong_credentials_defer_with_the_servers_reply()
    {
        await using var sink = Smarthost("PLAIN");
        var outcome = await SendAsync(sink, new SmtpCredentials("relay-user", "wrong"));
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Deferred, recipient.Status);
        Assert.Equal("535 5.7.8 Error: authentication failed", recipient.Reply!.ToString());
        Assert.Equal(ConnectionFailureKind.AuthenticationFailed, outcome.LastFailure!.Kind);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task Credentials_are_never_sent_without_tls()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Keywords = ["PIPELINING", "AUTH PLAIN LOGIN"], Users = new Dictionary<string, string> { ["u"] = "p" } });
        var outcome = await SendAsync(sink, new SmtpCredentials("u", "p"), TlsPolicy.Opportunistic);
        Assert.Equal(RecipientStatus.Deferred, outcome.Recipients[0].Status);
        Assert.Contains("only sent over TLS", outcome.Recipients[0].Diagnostic, StringComparison.Ordinal);
        Assert.DoesNotContain(sink.Commands, c => c.StartsWith("AUTH", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_smarthost_that_offers_no_shared_mechanism_is_not_used()
    {
        await using var sink = Smarthost("CRAM-MD5");
        var outcome = await SendAsync(sink, new SmtpCredentials("relay-user", "s3cret pass"));
        Assert.Equal(RecipientStatus.Deferred, outcome.Recipients[0].Status);
        Assert.Contains("no shared mechanism", outcome.Recipients[0].Diagnostic, StringComparison.Ordinal);
    }
}
