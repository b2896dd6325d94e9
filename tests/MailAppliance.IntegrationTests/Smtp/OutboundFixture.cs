using System.Net;
using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>
/// The appliance as an outbound MTA: its DNS is the fixture's loopback server, remote servers are sinks (or Postfix)
/// on 127.0.0.x at <c>Delivery:Port</c>, and 127.0.0.1 is a trusted network (relaying without AUTH). Adds
/// <c>bob@example.test</c> and the alias <c>sales@example.test</c> → alice.
/// </summary>
public class OutboundFixture : ApplianceFixture
{
    private int _nextHost = -1;

    /// <summary>The last octet before the first remote server's address; classes that run side by side and bind a
    /// fixed port (MTA-STS's 443) keep apart by starting elsewhere.</summary>
    protected virtual int FirstHost => 10;

    public TestCertificates Certificates { get; } = new();

    protected override object ExtraSmtpSettings => new { MaxMessageSize = 3 * 1024 * 1024, MaxRecipients = 50, TrustedNetworks = "127.0.0.1/32" };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Ok("user add bob@example.test --password-stdin", "pw\n");
        await Ok("alias add sales@example.test alice@example.test");
    }

    /// <summary>A new loopback address for one remote server (127.0.0.10, .11, ...).</summary>
    public IPAddress NextAddress()
    {
        Interlocked.CompareExchange(ref _nextHost, FirstHost, -1);
        return IPAddress.Parse($"127.0.0.{Interlocked.Increment(ref _nextHost)}");
    }

    /// <summary>A sink as the only MX of <paramref name="domain"/> (with STARTTLS unless told otherwise).</summary>
    public SmtpSink Sink(string domain, SmtpSinkOptions? options = null)
    {
        var address = NextAddress();
        Dns.Mx(domain, 10, "mx." + domain).A("mx." + domain, address.ToString());
        options ??= new SmtpSinkOptions();
        options = options.Certificate is null && options.OfferStartTls ? options with { Certificate = Certificates.Context(Certificates.Issue("mx." + domain)) } : options;
        return SmtpSink.Start(options with { HostName = "mx." + domain }, address, DeliveryPort);
    }

    /// <summary>
    /// Submits <paramref name="message"/> with Python's smtplib: to the submission port with STARTTLS and AUTH as
    /// <paramref name="user"/>, or (user null) to port 25 from the trusted network. Returns the queue id.
    /// </summary>
    public async Task<string> SubmitAsync(string? user, string from, IReadOnlyList<string> to, byte[] message, string mailOptions = "[]", string rcptOptions = "[]")
    {
        var file = Path.Combine(Root, $"m{Guid.NewGuid():N}.eml");
        await File.WriteAllBytesAsync(file, message);
        var login = user is null ? "" : $"s.starttls(context=ctx); s.ehlo('client.example'); s.login('{user}', 'pw')";
        var script = $$"""
            import smtplib, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            s = smtplib.SMTP("127.0.0.1", {{(user is null ? SmtpPort : SubmissionPort)}}, timeout=60)
            s.ehlo("client.example")
            {{login}}
            code, reply = s.mail("{{from}}", {{mailOptions}})
            assert code == 250, (code, reply)
            for rcpt in {{"[" + string.Join(", ", to.Select(t => $"\"{t}\"")) + "]"}}:
                code, reply = s.rcpt(rcpt, {{rcptOptions}})
                assert code == 250, (code, reply)
            code, reply = s.data(open("{{file}}", "rb").read())
            print(code, reply.decode())
            s.quit()
            """.Replace("\r\n", "\n", StringComparison.Ordinal);
        var (exit, output) = await RunAsync("python3", ["-c", script]);
        File.Delete(file);
        Assert.True(exit == 0, output);
        Assert.Contains("Ok: queued as ", output, StringComparison.Ordinal);
        return output.Split("queued as ")[1].Trim();
    }

    public static byte[] Message(string from, string to, string subject, string body = "Hello from the appliance.\r\n") =>
        Encoding.UTF8.GetBytes($"From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Sat, 05 Dec 2026 12:00:00 +0000\r\nMessage-ID: <{Guid.NewGuid():N}@example.test>\r\n\r\n{body}");

    /// <summary>The sink's copy without the trace fields we add before the message (Received, DKIM-Signature).</summary>
    public static byte[] WithoutOurFields(byte[] received)
    {
        var text = Encoding.UTF8.GetString(received);
        var start = 0;
        while (true)
        {
            var end = text.IndexOf("\r\n", start, StringComparison.Ordinal);
            if (!(text.AsSpan(start).StartsWith("Received:") || text.AsSpan(start).StartsWith("DKIM-Signature:")))
            {
                return received[Encoding.UTF8.GetByteCount(text[..start])..];
            }

            // The field and its folded continuation lines.
            start = end + 2;
            while (start < text.Length && text[start] is ' ' or '\t')
            {
                start = text.IndexOf("\r\n", start, StringComparison.Ordinal) + 2;
            }
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Certificates.Dispose();
    }
}
