using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Tls;

/// <summary>An appliance whose certificate comes from configured PEM files (<c>Tls:CertificateFile</c>, <c>Tls:KeyFile</c>).</summary>
public sealed class CertificateFilesApplianceFixture : ApplianceFixture
{
    public string CertificateFile => Path.Combine(Root, "tls-files", "server.crt");

    public string KeyFile => Path.Combine(Root, "tls-files", "server.key");

    /// <summary>The thumbprint of the pair written before the appliance started.</summary>
    public string FirstThumbprint { get; private set; } = "";

    protected override void Configure(Dictionary<string, object> config)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CertificateFile)!);
        FirstThumbprint = WritePair(CertificateFile, KeyFile, "first.mx.example.test");
        config["Tls"] = new { CertificateFile, KeyFile };
    }

    /// <summary>Writes a new self-signed pair over the files, in place (key first), as an admin's copy would.</summary>
    public static string WritePair(string certificateFile, string keyFile, string hostName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        return certificate.Thumbprint;
    }
}

/// <summary>Issue #5: a renewed certificate (files replaced while <c>serve</c> runs) is served without a restart.</summary>
public sealed class CertificateReloadTests : IClassFixture<CertificateFilesApplianceFixture>
{
    private readonly CertificateFilesApplianceFixture _app;

    public CertificateReloadTests(CertificateFilesApplianceFixture app) => _app = app;

    [Fact]
    public async Task Replaced_certificate_files_are_served_on_a_later_starttls_without_restart()
    {
        Assert.Equal(_app.FirstThumbprint, await StartTlsCertificateAsync(_app.SmtpPort));

        var second = CertificateFilesApplianceFixture.WritePair(_app.CertificateFile, _app.KeyFile, "second.mx.example.test");
        Assert.NotEqual(_app.FirstThumbprint, second);

        // The files are looked at again every few seconds, on use: new connections see the new pair soon after.
        var seen = new List<string>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            var served = await StartTlsCertificateAsync(_app.SmtpPort);
            if (seen.Count == 0 || seen[^1] != served)
            {
                seen.Add(served);
            }

            if (served == second)
            {
                break;
            }

            await Task.Delay(250);
        }

        Assert.Equal(second, seen[^1]);
        Assert.All(seen, s => Assert.Contains(s, new[] { _app.FirstThumbprint, second }));

        // The same certificate on the implicit-TLS submission port.
        Assert.Equal(second, await ImplicitTlsCertificateAsync(_app.SubmissionsPort));
    }

    /// <summary>EHLO, STARTTLS (RFC 3207), handshake: the certificate the server presented.</summary>
    private static async Task<string> StartTlsCertificateAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await ExpectAsync(stream, "220");
        await stream.WriteAsync("EHLO client.example\r\n"u8.ToArray());
        Assert.Contains("STARTTLS", await ExpectAsync(stream, "250"), StringComparison.Ordinal);
        await stream.WriteAsync("STARTTLS\r\n"u8.ToArray());
        await ExpectAsync(stream, "220");
        return await HandshakeAsync(stream);
    }

    private static async Task<string> ImplicitTlsCertificateAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        return await HandshakeAsync(client.GetStream());
    }

    private static async Task<string> HandshakeAsync(Stream stream)
    {
        string? thumbprint = null;
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: true, (_, certificate, _, _) =>
        {
            // Self-signed on purpose: the test reads which certificate is served, and checks that below.
            thumbprint = certificate?.GetCertHashString();
            return certificate is not null;
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "mx.example.test" }, timeout.Token);
        return thumbprint ?? throw new InvalidOperationException("no certificate presented");
    }

    /// <summary>Reads one reply (byte by byte, so nothing after it is consumed before the TLS handshake).</summary>
    private static async Task<string> ExpectAsync(Stream stream, string code)
    {
        var reply = new StringBuilder();
        var line = new StringBuilder();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (await stream.ReadAsync(one, timeout.Token) == 0)
            {
                throw new IOException($"connection closed after: {reply}{line}");
            }

            line.Append((char)one[0]);
            if (one[0] != '\n')
            {
                continue;
            }

            reply.Append(line);
            var text = line.ToString();
            line.Clear();
            if (text.Length < 4 || text[3] != '-')
            {
                Assert.True(text.StartsWith(code, StringComparison.Ordinal), $"expected '{code}…', got '{reply}'");
                return reply.ToString();
            }
        }
    }
}
