using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MailAppliance.Smtp.Client;

/// <summary>RFC 6698 §2.1 certificate usage; RFC 7672 §3.1.3: only DANE-TA(2) and DANE-EE(3) are usable for SMTP.</summary>
public enum TlsaUsage : byte
{
    PkixTa = 0,
    PkixEe = 1,
    DaneTa = 2,
    DaneEe = 3,
}

/// <summary>RFC 6698 §2.1.2: the full certificate (0) or its SubjectPublicKeyInfo (1).</summary>
public enum TlsaSelector : byte
{
    FullCertificate = 0,
    SubjectPublicKeyInfo = 1,
}

/// <summary>RFC 6698 §2.1.3: exact (0), SHA-256 (1), SHA-512 (2).</summary>
public enum TlsaMatching : byte
{
    Exact = 0,
    Sha256 = 1,
    Sha512 = 2,
}

/// <summary>One TLSA record (RFC 6698 §2): usage, selector, matching type and association data.</summary>
public sealed record TlsaRecord(TlsaUsage Usage, TlsaSelector Selector, TlsaMatching Matching, byte[] Data)
{
    /// <summary>
    /// RFC 7672 §3.1.3 makes PKIX-TA(0) and PKIX-EE(1) unusable for SMTP; unknown selectors and matching types, and
    /// a digest of the wrong length, are unusable too (RFC 7672 §2.2: such records are ignored).
    /// </summary>
    public bool IsUsable =>
        Usage is TlsaUsage.DaneTa or TlsaUsage.DaneEe
        && Selector is TlsaSelector.FullCertificate or TlsaSelector.SubjectPublicKeyInfo
        && Matching switch
        {
            TlsaMatching.Exact => Data.Length > 0,
            TlsaMatching.Sha256 => Data.Length == 32,
            TlsaMatching.Sha512 => Data.Length == 64,
            _ => false,
        };

    /// <summary>True when <paramref name="certificate"/> is the certificate or key this record names.</summary>
    public bool Matches(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var selected = Selector == TlsaSelector.SubjectPublicKeyInfo
            ? certificate.PublicKey.ExportSubjectPublicKeyInfo()
            : certificate.RawData;
        var digest = Matching switch
        {
            TlsaMatching.Exact => selected,
            TlsaMatching.Sha256 => SHA256.HashData(selected),
            TlsaMatching.Sha512 => SHA512.HashData(selected),
            _ => null,
        };
        return digest is not null && CryptographicOperations.FixedTimeEquals(digest, Data);
    }

    /// <summary>Builds the record that matches <paramref name="certificate"/> (for tests and for `dns records`).</summary>
    public static TlsaRecord For(X509Certificate2 certificate, TlsaUsage usage, TlsaSelector selector, TlsaMatching matching)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var selected = selector == TlsaSelector.SubjectPublicKeyInfo ? certificate.PublicKey.ExportSubjectPublicKeyInfo() : certificate.RawData;
        var data = matching switch
        {
            TlsaMatching.Sha256 => SHA256.HashData(selected),
            TlsaMatching.Sha512 => SHA512.HashData(selected),
            _ => selected,
        };
        return new TlsaRecord(usage, selector, matching, data);
    }

    public override string ToString() => $"{(byte)Usage} {(byte)Selector} {(byte)Matching} {Convert.ToHexStringLower(Data)}";
}
