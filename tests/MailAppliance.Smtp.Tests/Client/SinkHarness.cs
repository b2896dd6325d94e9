using System.Net;
using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Smtp.Client;
using MailAppliance.Testing;

namespace MailAppliance.Smtp.Tests.Client;

/// <summary>Shorthands for client tests against <see cref="SmtpSink"/>.</summary>
internal static class SinkHarness
{
    public static SmtpClientOptions Options(TestCertificates? certificates = null) => new()
    {
        HeloName = "client.example.test",
        TrustedRoots = certificates?.Roots,
        Timeouts = new SmtpClientTimeouts { Connect = TimeSpan.FromSeconds(10), Greeting = TimeSpan.FromSeconds(30) },
    };

    public static SmtpTarget Target(SmtpSink sink, TlsPolicy? tls = null, string host = "mx.example.test", SmtpCredentials? credentials = null) =>
        new("example.test", [new SmtpHost(host, [sink.Address], tls ?? TlsPolicy.Opportunistic)], sink.Port, credentials);

    public static OutboundEnvelope Envelope(byte[] body, params string[] recipients) =>
        new(MailAddress.Parse("sender@origin.test"), [.. recipients.Select(r => new OutboundRecipient(MailAddress.Parse(r)))], body.Length);

    public static byte[] Message(string subject = "test", string body = "Hello.\r\n") =>
        Encoding.UTF8.GetBytes($"From: sender@origin.test\r\nTo: rcpt@example.test\r\nSubject: {subject}\r\n\r\n{body}");

    public static Func<Stream> Body(byte[] bytes) => () => new MemoryStream(bytes, writable: false);

    public static async Task<DeliveryOutcome> SendAsync(SmtpSink sink, OutboundEnvelope envelope, byte[] body, TlsPolicy? tls = null, SmtpClientOptions? options = null)
    {
        await using var delivery = new SmtpDelivery(options ?? Options());
        return await delivery.SendAsync(Target(sink, tls), envelope, Body(body));
    }

    /// <summary>A port nobody listens on (bound, then closed: connecting to it is refused).</summary>
    public static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
