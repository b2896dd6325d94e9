using MailAppliance.Pipeline.Dns;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// DMARC (RFC 7489): the record of the From domain or, failing that, of its organisational domain; identifier
/// alignment of SPF and DKIM results, strict or relaxed; the policy (p=, or sp= for a subdomain) and pct= sampling.
/// </summary>
public sealed class DmarcVerifier
{
    private readonly IDnsResolver _dns;
    private readonly PublicSuffixList _suffixes;
    private readonly Func<int> _sample;

    /// <param name="sample">A number from 0 to 99 per message for pct= (RFC 7489 §6.6.4); random by default.</param>
    public DmarcVerifier(IDnsResolver dns, PublicSuffixList suffixes, Func<int>? sample = null)
    {
        _dns = dns;
        _suffixes = suffixes;
        _sample = sample ?? (() => Random.Shared.Next(100));
    }

    public PublicSuffixList Suffixes => _suffixes;

    /// <summary>
    /// Evaluates the message whose RFC5322.From domain is <paramref name="fromDomain"/>, given the SPF result of its
    /// MAIL FROM identity (or of HELO for a null sender, RFC 7489 §3.1.2 via RFC 7208 §2.4) and its DKIM results.
    /// </summary>
    public async Task<DmarcResult> EvaluateAsync(string fromDomain, SpfResult? spf, IReadOnlyList<DkimResult> dkim, CancellationToken cancellationToken = default)
    {
        if (!DnsNames.TryNormalize(fromDomain, out var from))
        {
            return new DmarcResult(DmarcResultCode.PermError, fromDomain) { Reason = "the From domain is not a domain" };
        }

        // §6.6.3: the From domain's record, else the organisational domain's.
        var organizational = _suffixes.OrganizationalDomain(from);
        var (found, problem) = await DiscoverAsync(from, cancellationToken);
        var policyDomain = from;
        if (found is null && problem is null && organizational != from)
        {
            (found, problem) = await DiscoverAsync(organizational, cancellationToken);
            policyDomain = organizational;
        }

        if (problem is { } p)
        {
            return new DmarcResult(p.Code, from) { PolicyDomain = policyDomain, Reason = p.Reason };
        }

        if (found is null)
        {
            return new DmarcResult(DmarcResultCode.None, from) { Reason = "no DMARC record" };
        }

        var spfAligned = spf is { Code: SpfResultCode.Pass } && Aligned(spf.Domain, from, found.StrictSpf);
        var dkimAligned = dkim.Any(d => d.Code == DkimResultCode.Pass && Aligned(d.Domain, from, found.StrictDkim));
        var requested = policyDomain != from && found.SubdomainPolicy is { } sp ? sp : found.Policy;
        var result = new DmarcResult(DmarcResultCode.Pass, from)
        {
            PolicyDomain = policyDomain,
            Policy = requested,
            Disposition = DmarcPolicy.None,
            SpfAligned = spfAligned,
            DkimAligned = dkimAligned,
            Percent = found.Percent,
        };
        if (spfAligned || dkimAligned)
        {
            return result;
        }

        // Neither aligned identifier passed. If one of them could not be checked for a transient reason, the
        // verdict waits: better a retry than a reject for a DNS hiccup.
        var transient = (spf is { Code: SpfResultCode.TempError } && Aligned(spf.Domain, from, found.StrictSpf))
            || dkim.Any(d => d.Code == DkimResultCode.TempError && Aligned(d.Domain, from, found.StrictDkim));
        if (transient)
        {
            return result with { Code = DmarcResultCode.TempError, Reason = "an aligned identifier could not be checked (temperror)" };
        }

        // §6.6.4: pct= samples the messages the policy applies to; the others get the next milder policy.
        var disposition = requested;
        if (found.Percent < 100 && _sample() >= found.Percent)
        {
            disposition = requested switch
            {
                DmarcPolicy.Reject => DmarcPolicy.Quarantine,
                _ => DmarcPolicy.None,
            };
        }

        return result with { Code = DmarcResultCode.Fail, Disposition = disposition, Reason = "neither SPF nor DKIM passed aligned with the From domain" };
    }

    /// <summary>RFC 7489 §3.1: strict means equal; relaxed means the same organisational domain.</summary>
    public bool Aligned(string authenticated, string from, bool strict)
    {
        if (!DnsNames.TryNormalize(authenticated, out var a) || !DnsNames.TryNormalize(from, out var f))
        {
            return false;
        }

        return a == f || (!strict && _suffixes.OrganizationalDomain(a) == _suffixes.OrganizationalDomain(f));
    }

    private async Task<(DmarcRecord? Record, (DmarcResultCode Code, string Reason)? Problem)> DiscoverAsync(string domain, CancellationToken cancellationToken)
    {
        var txt = await _dns.LookupTxtAsync("_dmarc." + domain, cancellationToken);
        if (txt.IsTemporaryFailure)
        {
            return (null, (DmarcResultCode.TempError, $"_dmarc.{domain}: {txt.Status}"));
        }

        var records = txt.Records.Where(DmarcRecord.IsDmarcRecord).ToList();
        if (records.Count > 1)
        {
            // §6.6.3: several records end policy discovery: DMARC does not apply.
            return (null, (DmarcResultCode.None, $"{records.Count} DMARC records at _dmarc.{domain}"));
        }

        if (records.Count == 0)
        {
            return (null, null);
        }

        return DmarcRecord.TryParse(records[0], out var record, out var error)
            ? (record, null)
            : (null, (DmarcResultCode.PermError, $"_dmarc.{domain}: {error}"));
    }
}
