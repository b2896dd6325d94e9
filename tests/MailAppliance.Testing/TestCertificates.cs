using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MailAppliance.Testing;

/// <summary>
/// A private test PKI made in memory: a root CA, an intermediate CA under it, and server certificates issued by the
/// intermediate, for loopback TLS servers (SMTP sinks, Postfix, the MTA-STS HTTPS server) that a client verifies
/// against <see cref="Root"/> instead of the system store. Servers send the leaf and the intermediate, as real ones
/// do (a TLS stack does not send a self-signed root), so a DANE-TA record names the intermediate.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly RSA _rootKey;
    private readonly RSA _caKey;

    public TestCertificates(string caName = "MailAppliance Test CA")
    {
        _rootKey = RSA.Create(2048);
        var request = new CertificateRequest($"CN={caName} Root", _rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Root = request.CreateSelfSigned(now.AddDays(-2), now.AddYears(5));

        _caKey = RSA.Create(2048);
        var intermediate = new CertificateRequest($"CN={caName} Intermediate", _caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        intermediate.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediate.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intermediate.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediate.PublicKey, false));
        Intermediate = intermediate.Create(Root.SubjectName, X509SignatureGenerator.CreateForRSA(_rootKey, RSASignaturePadding.Pkcs1), now.AddDays(-1), now.AddYears(4), [1, 2, 3, 4]);
    }

    /// <summary>The root CA certificate (public part only): what a client trusts.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The CA that issues the server certificates (public part only): what servers send with their leaf.</summary>
    public X509Certificate2 Intermediate { get; }

    public X509Certificate2Collection Roots => [X509CertificateLoader.LoadCertificate(Root.RawData)];

    /// <summary>A server certificate (with private key) for <paramref name="names"/> (DNS names or IP addresses).</summary>
    public X509Certificate2 Issue(params string[] names) => Issue(names, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));

    public X509Certificate2 Issue(string[] names, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address))
            {
                san.AddIpAddress(address);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(Intermediate.SubjectName, X509SignatureGenerator.CreateForRSA(_caKey, RSASignaturePadding.Pkcs1), notBefore, notAfter, serial);
        using var withKey = issued.CopyWithPrivateKey(key);

        // Round-trip through PKCS#12 so that SslStream on Linux can use the key.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A self-signed certificate (not from the CA): what a server with no proper certificate presents.</summary>
    public static X509Certificate2 SelfSigned(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>What a TLS server presents: the leaf and, when issued here and asked for, the intermediate CA.</summary>
    public SslStreamCertificateContext Context(X509Certificate2 leaf, bool includeIntermediate = true) =>
        SslStreamCertificateContext.Create(leaf, includeIntermediate && leaf.Issuer == Intermediate.Subject ? [Intermediate] : [], offline: true);

    /// <summary>Writes the leaf (with the intermediate after it) and its key as PEM files, for servers such as Postfix.</summary>
    public (string CertificateFile, string KeyFile) WritePem(X509Certificate2 leaf, string directory, string name)
    {
        var certificateFile = Path.Combine(directory, name + ".crt");
        var keyFile = Path.Combine(directory, name + ".key");
        var chain = leaf.ExportCertificatePem() + "\n" + (leaf.Issuer == Intermediate.Subject ? Intermediate.ExportCertificatePem() + "\n" : "");
        File.WriteAllText(certificateFile, chain);
        File.WriteAllText(keyFile, leaf.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (certificateFile, keyFile);
    }

    public void Dispose()
    {
        _rootKey.Dispose();
        _caKey.Dispose();
        Root.Dispose();
        Intermediate.Dispose();
    }
}
