using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace MailAppliance.Smtp.Client;

/// <summary>The verdict on a server certificate under a <see cref="TlsPolicy"/>.</summary>
public readonly record struct TlsVerdict(bool Verified, string Detail);

/// <summary>
/// Judges the certificate a server presented, per policy: PKIX chain and name (RFC 6125; RFC 8461 §4.1 for MTA-STS),
/// or DANE (RFC 7672 §3). No I/O: it looks only at the certificates of the handshake.
/// </summary>
public static class TlsVerifier
{
    /// <param name="hostName">The host connected to (the MX name), also the SNI name and the default reference identifier.</param>
    /// <param name="chain">The chain the TLS stack built, whose extra store holds what the server sent.</param>
    /// <param name="errors">The TLS stack's PKIX verdict (with our trusted roots when configured).</param>
    public static TlsVerdict Evaluate(TlsPolicy policy, string hostName, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (certificate is null)
        {
            return new TlsVerdict(false, "the server sent no certificate");
        }

        using var leaf = new X509Certificate2(certificate);
        return policy switch
        {
            TlsPolicy.DaneTls dane => EvaluateDane(dane, hostName, leaf, chain),
            TlsPolicy.VerifyTls verify => EvaluatePkix(verify.Names.Count > 0 ? verify.Names : [hostName], leaf, errors),
            _ => EvaluatePkix([hostName], leaf, errors),
        };
    }

    private static TlsVerdict EvaluatePkix(IReadOnlyList<string> names, X509Certificate2 leaf, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return new TlsVerdict(false, "the server sent no certificate");
        }

        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return new TlsVerdict(false, $"certificate chain of {leaf.Subject} is not trusted");
        }

        var matched = names.FirstOrDefault(name => MatchesName(leaf, name));
        return matched is null
            ? new TlsVerdict(false, $"certificate {leaf.Subject} does not name {string.Join(" or ", names)}")
            : new TlsVerdict(true, $"trusted chain, certificate names {matched}");
    }

    /// <summary>
    /// RFC 7672 §3.1: DANE-EE(3) binds the server's own certificate or key, whatever its names and dates (§3.1.1);
    /// DANE-TA(2) names a trust anchor in the chain the server sent, which must then issue a certificate for one
    /// of the reference identifiers (§3.2.2). Unusable records are ignored; if none is usable, TLS is still required
    /// but not authenticated (§2.2, as Postfix's "encrypt").
    /// </summary>
    private static TlsVerdict EvaluateDane(TlsPolicy.DaneTls policy, string hostName, X509Certificate2 leaf, X509Chain? chain)
    {
        var usable = policy.Usable;
        if (usable.Count == 0)
        {
            return new TlsVerdict(false, "no usable TLSA record: encrypted, not authenticated");
        }

        foreach (var record in usable.Where(r => r.Usage == TlsaUsage.DaneEe))
        {
            if (record.Matches(leaf))
            {
                return new TlsVerdict(true, $"DANE-EE TLSA record {(byte)record.Selector} {(byte)record.Matching} matched the server certificate");
            }
        }

        var anchors = usable.Where(r => r.Usage == TlsaUsage.DaneTa).ToList();
        if (anchors.Count > 0)
        {
            var presented = Presented(leaf, chain);
            var names = policy.Names.Count > 0 ? policy.Names : [hostName];
            foreach (var candidate in presented)
            {
                var record = anchors.FirstOrDefault(r => r.Matches(candidate));
                if (record is null)
                {
                    continue;
                }

                if (ChainsTo(leaf, candidate, presented) is { } why)
                {
                    return new TlsVerdict(false, $"DANE-TA TLSA record matched {candidate.Subject}, but the server certificate does not chain to it: {why}");
                }

                var matched = names.FirstOrDefault(name => MatchesName(leaf, name));
                return matched is null
                    ? new TlsVerdict(false, $"DANE-TA TLSA record matched {candidate.Subject}, but the certificate does not name {string.Join(" or ", names)}")
                    : new TlsVerdict(true, $"DANE-TA TLSA record matched trust anchor {candidate.Subject}, certificate names {matched}");
            }
        }

        return new TlsVerdict(false, "no TLSA record matched the certificate chain");
    }

    /// <summary>The certificates the server sent (and any the chain builder found), leaf excluded.</summary>
    private static List<X509Certificate2> Presented(X509Certificate2 leaf, X509Chain? chain)
    {
        var all = new List<X509Certificate2>();
        if (chain is not null)
        {
            all.AddRange(chain.ChainPolicy.ExtraStore);
            all.AddRange(chain.ChainElements.Select(e => e.Certificate));
        }

        return [.. all.Where(c => !c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)).DistinctBy(c => c.Thumbprint)];
    }

    /// <summary>
    /// Null when <paramref name="leaf"/> chains to <paramref name="anchor"/> (signatures and dates checked), else why
    /// not. The anchor need not be self-signed (a DANE-TA record usually names an intermediate CA), and whatever is
    /// above it does not matter: the path is built with unknown roots allowed and must pass through the anchor.
    /// </summary>
    private static string? ChainsTo(X509Certificate2 leaf, X509Certificate2 anchor, List<X509Certificate2> presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust; // the system's roots play no part
        chain.ChainPolicy.ExtraStore.AddRange(presented.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
        chain.Build(leaf); // the verdict comes from the elements below, not from the unknown root above the anchor
        var elements = chain.ChainElements.Select(e => e.Certificate).ToList();
        var anchorAt = elements.FindIndex(c => c.RawDataMemory.Span.SequenceEqual(anchor.RawDataMemory.Span));
        if (anchorAt < 1)
        {
            return "the trust anchor is not on the certificate's path";
        }

        // Only the part from the leaf up to the anchor counts; above it, an unknown or partial chain is expected.
        var problems = chain.ChainElements.Take(anchorAt + 1)
            .SelectMany(e => e.ChainElementStatus)
            .Where(s => s.Status is not (X509ChainStatusFlags.NoError or X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain))
            .Select(s => s.StatusInformation.Trim())
            .ToList();
        return problems.Count == 0 ? null : string.Join(", ", problems);
    }

    private static bool MatchesName(X509Certificate2 certificate, string name)
    {
        try
        {
            return certificate.MatchesHostname(name.TrimEnd('.'), allowWildcards: true, allowCommonName: true);
        }
        catch (ArgumentException)
        {
            return false; // not a host name (an address literal, say)
        }
    }
}
