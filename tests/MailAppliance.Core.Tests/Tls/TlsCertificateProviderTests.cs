using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailAppliance.Core.Tests.Security;
using MailAppliance.Core.Tls;

namespace MailAppliance.Core.Tests.Tls;

public sealed class TlsCertificateProviderTests : IClassFixture<TestCertificates>
{
    private readonly TestCertificates _certificates;
    private readonly ManualTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly List<string> _errors = [];

    public TlsCertificateProviderTests(TestCertificates certificates) => _certificates = certificates;

    [Fact]
    public void Self_signed_certificate_is_generated_with_the_host_name()
    {
        var directory = Path.Combine(_certificates.Directory, "gen-" + Guid.NewGuid().ToString("N"));
        var provider = new TlsCertificateProvider(new TlsCertificateOptions { SelfSignedDirectory = directory, HostName = "mail.example.test" }, _clock);

        var certificate = provider.Certificate;
        Assert.False(provider.UsesFiles);
        Assert.Equal("CN=mail.example.test", certificate.Subject);
        Assert.Equal("mail.example.test", certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false));
        Assert.Contains("mail.example.test", SubjectAlternativeNames(certificate));
        Assert.Equal(2048, certificate.GetRSAPublicKey()!.KeySize);
        Assert.Equal("1.2.840.113549.1.1.11", certificate.SignatureAlgorithm.Value); // sha256WithRSAEncryption
        Assert.InRange((certificate.NotAfter - certificate.NotBefore).TotalDays, 3650, 3652);
        Assert.True(certificate.HasPrivateKey);

        var keyPath = Path.Combine(directory, TlsCertificateProvider.SelfSignedKeyName);
        Assert.True(File.Exists(Path.Combine(directory, TlsCertificateProvider.SelfSignedCertificateName)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
    }

    [Fact]
    public void Self_signed_certificate_is_reused_on_the_next_start()
    {
        var directory = Path.Combine(_certificates.Directory, "reuse-" + Guid.NewGuid().ToString("N"));
        var options = new TlsCertificateOptions { SelfSignedDirectory = directory, HostName = "mail.example.test" };
        var first = new TlsCertificateProvider(options, _clock).Certificate.Thumbprint;
        var second = new TlsCertificateProvider(options, _clock).Certificate.Thumbprint;
        Assert.Equal(first, second);
    }

    [Fact]
    public void A_damaged_self_signed_certificate_is_replaced()
    {
        var directory = Path.Combine(_certificates.Directory, "damaged-" + Guid.NewGuid().ToString("N"));
        var options = new TlsCertificateOptions { SelfSignedDirectory = directory, HostName = "mail.example.test" };
        var first = new TlsCertificateProvider(options, _clock).Certificate.Thumbprint;
        File.WriteAllText(Path.Combine(directory, TlsCertificateProvider.SelfSignedKeyName), "garbage");
        var second = new TlsCertificateProvider(options, _clock, (message, _) => _errors.Add(message)).Certificate.Thumbprint;
        Assert.NotEqual(first, second);
        Assert.Single(_errors);
    }

    [Fact]
    public void Pem_files_are_loaded_ecdsa_and_rsa()
    {
        var (certificateFile, keyFile) = WritePem(TestCertificates.CreateEcdsa("ec.example.test", out var ecKey), ecKey);
        var provider = new TlsCertificateProvider(new TlsCertificateOptions { CertificateFile = certificateFile, KeyFile = keyFile }, _clock);
        Assert.True(provider.UsesFiles);
        Assert.Equal("CN=ec.example.test", provider.Certificate.Subject);
        Assert.NotNull(provider.Certificate.GetECDsaPublicKey());

        var rsa = TestCertificates.CreateRsa("rsa.example.test", out var rsaKey);
        var combined = Path.Combine(_certificates.Directory, Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(combined, rsa.ExportCertificatePem() + "\n" + rsaKey); // key in the certificate file
        provider = new TlsCertificateProvider(new TlsCertificateOptions { CertificateFile = combined }, _clock);
        Assert.Equal("CN=rsa.example.test", provider.Certificate.Subject);
    }

    [Fact]
    public void Intermediates_in_the_certificate_file_are_sent()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Test Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(60));
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=Test Intermediate", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var intermediate = intermediateRequest.Create(root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(50), [1, 2, 3, 4]);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=chain.example.test", leafKey, HashAlgorithmName.SHA256);
        using var leaf = leafRequest.Create(intermediate.CopyWithPrivateKey(intermediateKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(40), [5, 6, 7, 8]);

        var certificateFile = Path.Combine(_certificates.Directory, Guid.NewGuid().ToString("N") + ".crt");
        var keyFile = Path.ChangeExtension(certificateFile, ".key");
        File.WriteAllText(certificateFile, leaf.ExportCertificatePem() + "\n" + intermediate.ExportCertificatePem());
        File.WriteAllText(keyFile, leafKey.ExportPkcs8PrivateKeyPem());

        var context = new TlsCertificateProvider(new TlsCertificateOptions { CertificateFile = certificateFile, KeyFile = keyFile }, _clock).GetCertificateContext();
        Assert.Equal("CN=chain.example.test", context.TargetCertificate.Subject);
        Assert.Contains(context.IntermediateCertificates, c => c.Subject == "CN=Test Intermediate");
    }

    [Fact]
    public void Missing_or_mismatched_files_fail_at_start_naming_the_file()
    {
        var missing = Path.Combine(_certificates.Directory, "nope.crt");
        var error = Assert.Throws<InvalidOperationException>(() => new TlsCertificateProvider(new TlsCertificateOptions { CertificateFile = missing, KeyFile = missing + ".key" }));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);

        var (certificateFile, _) = WritePem(TestCertificates.CreateEcdsa("a.example.test", out var keyA), keyA);
        var (_, otherKey) = WritePem(TestCertificates.CreateEcdsa("b.example.test", out var keyB), keyB);
        Assert.Throws<InvalidOperationException>(() => new TlsCertificateProvider(new TlsCertificateOptions { CertificateFile = certificateFile, KeyFile = otherKey }));
    }

    [Fact]
    public void Changed_files_are_picked_up_after_the_check_interval()
    {
        var (certificateFile, keyFile) = WritePem(TestCertificates.CreateEcdsa("old.example.test", out var oldKey), oldKey);
        var provider = new TlsCertificateProvider(new TlsCertificateOptions { CertificateFile = certificateFile, KeyFile = keyFile }, _clock);
        Assert.Equal("CN=old.example.test", provider.Certificate.Subject);

        var renewed = TestCertificates.CreateRsa("new.example.test", out var newKey);
        File.WriteAllText(keyFile, newKey);
        File.WriteAllText(certificateFile, renewed.ExportCertificatePem());
        Assert.Equal("CN=old.example.test", provider.Certificate.Subject); // not looked at yet

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("CN=new.example.test", provider.Certificate.Subject);
        Assert.Equal("CN=new.example.test", provider.CreateServerOptions().ServerCertificateContext!.TargetCertificate.Subject);
    }

    [Fact]
    public void A_broken_new_file_keeps_the_old_certificate_and_is_reported_once()
    {
        var (certificateFile, keyFile) = WritePem(TestCertificates.CreateEcdsa("good.example.test", out var key), key);
        var provider = new TlsCertificateProvider(new TlsCertificateOptions { CertificateFile = certificateFile, KeyFile = keyFile }, _clock, (message, _) => _errors.Add(message));

        File.WriteAllText(certificateFile, "-----BEGIN CERTIFICATE-----\nhalf written");
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("CN=good.example.test", provider.Certificate.Subject);
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("CN=good.example.test", provider.Certificate.Subject);
        var error = Assert.Single(_errors);
        Assert.Contains(certificateFile, error, StringComparison.Ordinal);

        // The renewal completes: the next check loads it.
        var fixedCertificate = TestCertificates.CreateEcdsa("fixed.example.test", out var fixedKey);
        File.WriteAllText(keyFile, fixedKey);
        File.WriteAllText(certificateFile, fixedCertificate.ExportCertificatePem());
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("CN=fixed.example.test", provider.Certificate.Subject);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Real_handshake_on_loopback(SslProtocols protocol)
    {
        var provider = _certificates.Provider;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var connect = client.ConnectAsync(listener.LocalEndPoint!);
        using var accepted = await listener.AcceptAsync();
        await connect;

        await using var serverStream = new SslStream(new NetworkStream(accepted, ownsSocket: false));
        await using var clientStream = new SslStream(new NetworkStream(client, ownsSocket: false));
        X509Certificate? seen = null;
        var clientOptions = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocol,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                seen = certificate;
                return certificate is not null;
            },
        };
        await Task.WhenAll(serverStream.AuthenticateAsServerAsync(provider.CreateServerOptions()), clientStream.AuthenticateAsClientAsync(clientOptions))
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(protocol, serverStream.SslProtocol);
        Assert.Equal(provider.Certificate.GetCertHashString(), seen!.GetCertHashString());
    }

    [Fact]
    public void Only_tls12_and_tls13_are_enabled()
    {
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, _certificates.Provider.CreateServerOptions().EnabledSslProtocols);
    }

    private (string CertificateFile, string KeyFile) WritePem(X509Certificate2 certificate, string keyPem)
    {
        var certificateFile = Path.Combine(_certificates.Directory, Guid.NewGuid().ToString("N") + ".crt");
        var keyFile = Path.ChangeExtension(certificateFile, ".key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, keyPem);
        return (certificateFile, keyFile);
    }

    private static string SubjectAlternativeNames(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().Aggregate("", (a, b) => a + " " + b);
}
