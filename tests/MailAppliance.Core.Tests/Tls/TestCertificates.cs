using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailAppliance.Core.Tls;

namespace MailAppliance.Core.Tests.Tls;

/// <summary>Certificates the tests make themselves, written as PEM files into a temporary directory.</summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Directory = Path.Combine(Path.GetTempPath(), "mailappliance-tls-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Provider = new TlsCertificateProvider(new TlsCertificateOptions { SelfSignedDirectory = Path.Combine(Directory, "self"), HostName = "localhost" });
    }

    public string Directory { get; }

    /// <summary>A self-signed provider shared by the tests of a class (RSA generation takes a moment).</summary>
    public TlsCertificateProvider Provider { get; }

    public static X509Certificate2 CreateEcdsa(string name, out string keyPem)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        keyPem = key.ExportPkcs8PrivateKeyPem();
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    public static X509Certificate2 CreateRsa(string name, out string keyPem)
    {
        using var key = RSA.Create(2048);
        keyPem = key.ExportRSAPrivateKeyPem(); // PKCS#1, the other common form
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
