using System.Security.Cryptography;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>The key types we sign with: RSA 2048 with SHA-256 (RFC 6376, RFC 8301) and Ed25519 (RFC 8463).</summary>
public enum DkimKeyAlgorithm
{
    Rsa,
    Ed25519,
}

/// <summary>A freshly made key: its private key as PKCS#8 PEM and the value of its DNS key record.</summary>
public sealed record DkimKeyPair(DkimKeyAlgorithm Algorithm, string PrivateKeyPem, string PublicKeyRecord)
{
    /// <summary>The a= name of signatures made with it: <c>rsa-sha256</c> or <c>ed25519-sha256</c>.</summary>
    public string SignatureAlgorithm => DkimKeys.SignatureAlgorithmName(Algorithm);
}

/// <summary>A key ready to sign for a domain with a selector.</summary>
public sealed record DkimSigningKey(string Domain, string Selector, DkimKeyAlgorithm Algorithm, AsymmetricKeyParameter PrivateKey);

/// <summary>Making, reading and publishing DKIM keys.</summary>
public static class DkimKeys
{
    public const int RsaBits = 2048;

    public static DkimKeyPair Generate(DkimKeyAlgorithm algorithm)
    {
        if (algorithm == DkimKeyAlgorithm.Rsa)
        {
            using var rsa = RSA.Create(RsaBits);
            var publicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
            // RFC 6376 §3.6.1: k=rsa, p= the base64 of the DER SubjectPublicKeyInfo.
            return new DkimKeyPair(algorithm, rsa.ExportPkcs8PrivateKeyPem(), $"v=DKIM1; k=rsa; p={publicKey}");
        }

        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var info = PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private);
        var pem = PemEncoding.WriteString("PRIVATE KEY", info.GetEncoded());
        // RFC 8463 §4.2: k=ed25519, p= the base64 of the 32-octet public key itself.
        var raw = ((Ed25519PublicKeyParameters)pair.Public).GetEncoded();
        return new DkimKeyPair(algorithm, pem + "\n", $"v=DKIM1; k=ed25519; p={Convert.ToBase64String(raw)}");
    }

    /// <summary>Reads a PKCS#8 (or traditional RSA) PEM private key; the algorithm follows from the key.</summary>
    public static (DkimKeyAlgorithm Algorithm, AsymmetricKeyParameter Key) ReadPrivateKey(string pem)
    {
        using var reader = new StringReader(pem);
        var read = new PemReader(reader).ReadObject();
        var key = read switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter parameter when parameter.IsPrivate => parameter,
            _ => throw new FormatException("the file holds no private key"),
        };
        return key switch
        {
            RsaKeyParameters => (DkimKeyAlgorithm.Rsa, key),
            Ed25519PrivateKeyParameters => (DkimKeyAlgorithm.Ed25519, key),
            _ => throw new FormatException($"unsupported key type {key.GetType().Name}"),
        };
    }

    public static string SignatureAlgorithmName(DkimKeyAlgorithm algorithm) => algorithm == DkimKeyAlgorithm.Rsa ? "rsa-sha256" : "ed25519-sha256";

    public static bool TryParseSignatureAlgorithm(string name, out DkimKeyAlgorithm algorithm)
    {
        algorithm = name switch
        {
            "rsa-sha256" or "rsa" => DkimKeyAlgorithm.Rsa,
            "ed25519-sha256" or "ed25519" => DkimKeyAlgorithm.Ed25519,
            _ => (DkimKeyAlgorithm)(-1),
        };
        return Enum.IsDefined(algorithm);
    }

    internal static DkimSignatureAlgorithm MimeKitAlgorithm(DkimKeyAlgorithm algorithm) =>
        algorithm == DkimKeyAlgorithm.Rsa ? DkimSignatureAlgorithm.RsaSha256 : DkimSignatureAlgorithm.Ed25519Sha256;
}
