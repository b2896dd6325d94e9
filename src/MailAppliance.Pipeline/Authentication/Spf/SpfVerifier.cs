using System.Net;
using System.Net.Sockets;
using MailAppliance.Pipeline.Dns;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// SPF (RFC 7208): check_host() over <see cref="IDnsResolver"/>, with every mechanism and modifier, macros, the
/// 10-lookup and 2-void-lookup limits, and the MAIL FROM and HELO identities. A DNS failure is
/// <see cref="SpfResultCode.TempError"/>; a cancelled token (the caller's time budget, §4.6.4 "at least 20
/// seconds") ends the check with temperror too.
/// </summary>
public sealed class SpfVerifier
{
    private readonly IDnsResolver _dns;
    private readonly SpfOptions _options;
    private readonly TimeProvider _time;

    public SpfVerifier(IDnsResolver dns, SpfOptions? options = null, TimeProvider? time = null)
    {
        _dns = dns;
        _options = options ?? new SpfOptions();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// RFC 7208 §2.4: the MAIL FROM identity. A null reverse-path (<c>&lt;&gt;</c>, given as "") is checked as
    /// <c>postmaster@HELO</c>.
    /// </summary>
    public Task<SpfResult> CheckMailFromAsync(IPAddress client, string mailFrom, string helo, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(mailFrom))
        {
            return CheckHeloAsync(client, helo, cancellationToken);
        }

        var at = mailFrom.LastIndexOf('@');
        var domain = at < 0 ? mailFrom : mailFrom[(at + 1)..];
        return CheckAsync(SpfIdentity.MailFrom, client, domain, mailFrom, helo, cancellationToken);
    }

    /// <summary>RFC 7208 §2.3: the HELO identity, checked as <c>postmaster@HELO</c>; an address literal gives none.</summary>
    public Task<SpfResult> CheckHeloAsync(IPAddress client, string helo, CancellationToken cancellationToken = default) =>
        CheckAsync(SpfIdentity.Helo, client, helo, "postmaster@" + helo, helo, cancellationToken);

    /// <summary>check_host(ip, domain, sender) itself (RFC 7208 §4).</summary>
    public async Task<SpfResult> CheckAsync(SpfIdentity identity, IPAddress client, string domain, string sender, string helo, CancellationToken cancellationToken = default)
    {
        // §4.3: a sender without a local-part is checked as postmaster.
        var at = sender.LastIndexOf('@');
        var localPart = at <= 0 ? "postmaster" : sender[..at];
        var senderDomain = at < 0 ? domain : sender[(at + 1)..];
        var fullSender = $"{localPart}@{senderDomain}";
        var evaluation = new Evaluation(this, DnsNames.Unmap(client), fullSender, localPart, senderDomain, helo, cancellationToken);
        var outcome = await evaluation.CheckHostAsync(domain.TrimEnd('.'));
        return new SpfResult(outcome.Code, identity, domain.TrimEnd('.').ToLowerInvariant(), fullSender)
        {
            Explanation = outcome.Code == SpfResultCode.Fail ? outcome.Explanation : null,
            Problem = outcome.Problem,
            Mechanism = outcome.Mechanism,
            DnsLookups = evaluation.Lookups,
        };
    }

    /// <summary>§4.3: a checkable domain has at least two labels, none empty or over 63 octets, and is no address literal.</summary>
    internal static bool IsValidDomain(string domain)
    {
        if (domain.Length == 0 || domain.StartsWith('[') || !DnsNames.TryNormalize(domain, out var normalized))
        {
            return false;
        }

        return normalized.Contains('.', StringComparison.Ordinal);
    }

    private readonly record struct Outcome(SpfResultCode Code, string? Explanation = null, string? Problem = null, string? Mechanism = null);

    private enum Match
    {
        Yes,
        No,
        TempError,
        PermError,
    }

    /// <summary>The state of one check, shared by its includes and redirects: the lookup counters above all (§4.6.4).</summary>
    private sealed class Evaluation(SpfVerifier owner, IPAddress ip, string sender, string localPart, string senderDomain, string helo, CancellationToken cancellationToken)
    {
        private string? _problem;

        public int Lookups { get; private set; }

        private int Voids { get; set; }

        private bool IsV4 => ip.AddressFamily == AddressFamily.InterNetwork;

        private IDnsResolver Dns => owner._dns;

        private SpfOptions Options => owner._options;

        public async Task<Outcome> CheckHostAsync(string domain)
        {
            if (!IsValidDomain(domain))
            {
                return new Outcome(SpfResultCode.None, Problem: $"'{domain}' is not a domain SPF can check (RFC 7208 §4.3)");
            }

            // §4.4: the TXT records of the domain; §4.5: exactly one of them may be an SPF record.
            var txt = await Dns.LookupTxtAsync(domain, cancellationToken);
            if (txt.IsTemporaryFailure)
            {
                return new Outcome(SpfResultCode.TempError, Problem: $"TXT {domain}: {txt}");
            }

            var records = txt.Records.Where(SpfRecord.IsSpfRecord).ToList();
            if (records.Count == 0)
            {
                return new Outcome(SpfResultCode.None, Problem: $"no SPF record at {domain}");
            }

            if (records.Count > 1)
            {
                return new Outcome(SpfResultCode.PermError, Problem: $"{records.Count} SPF records at {domain} (RFC 7208 §4.5)");
            }

            if (!SpfRecord.TryParse(records[0], out var record, out var error))
            {
                return new Outcome(SpfResultCode.PermError, Problem: $"{domain}: {error}");
            }

            // §4.6.2: mechanisms left to right; the first that matches decides.
            foreach (var mechanism in record.Mechanisms)
            {
                if (mechanism.CountsAsLookup && !CountLookup(mechanism.Text))
                {
                    return new Outcome(SpfResultCode.PermError, Problem: _problem);
                }

                var match = await EvaluateAsync(mechanism, domain);
                switch (match)
                {
                    case Match.TempError:
                        return new Outcome(SpfResultCode.TempError, Problem: _problem);
                    case Match.PermError:
                        return new Outcome(SpfResultCode.PermError, Problem: _problem);
                    case Match.Yes:
                        var explanation = mechanism.Qualifier == SpfResultCode.Fail && record.Explanation is not null
                            ? await ExplainAsync(record.Explanation, domain)
                            : null;
                        return new Outcome(mechanism.Qualifier, explanation, Mechanism: mechanism.Text);
                }
            }

            // §6.1: redirect applies when nothing matched, and is ignored when the record has an "all" anywhere.
            if (record.Redirect is not null && record.Mechanisms.All(m => m.Kind != SpfMechanismKind.All))
            {
                if (!CountLookup("redirect=" + record.Redirect.Text))
                {
                    return new Outcome(SpfResultCode.PermError, Problem: _problem);
                }

                var target = await ExpandDomainAsync(record.Redirect, domain);
                var redirected = await CheckHostAsync(target);
                // §6.1: a redirect to a domain without an SPF record (or malformed) is a permerror. The redirected
                // record's exp= is the one that applies (§6.2), and it came back with the result.
                return redirected.Code == SpfResultCode.None
                    ? new Outcome(SpfResultCode.PermError, Problem: $"redirect={target}: {redirected.Problem}")
                    : redirected;
            }

            return new Outcome(SpfResultCode.Neutral, Mechanism: "(default)");
        }

        private async Task<Match> EvaluateAsync(SpfMechanism mechanism, string domain)
        {
            switch (mechanism.Kind)
            {
                case SpfMechanismKind.All:
                    return Match.Yes;

                case SpfMechanismKind.Ip4 or SpfMechanismKind.Ip6:
                    // §5.6: an IPv4 address matches only ip4 (an IPv4-mapped IPv6 address is IPv4, §5 ¶9).
                    return mechanism.Network!.Value.BaseAddress.AddressFamily == ip.AddressFamily && mechanism.Network.Value.Contains(ip) ? Match.Yes : Match.No;

                case SpfMechanismKind.A:
                    {
                        var target = await TargetAsync(mechanism, domain);
                        var addresses = IsV4 ? await Dns.LookupAAsync(target, cancellationToken) : await Dns.LookupAaaaAsync(target, cancellationToken);
                        if (!Checked(addresses, mechanism, target, out var failure))
                        {
                            return failure;
                        }

                        return addresses.Records.Any(InCidr(mechanism)) ? Match.Yes : Match.No;
                    }

                case SpfMechanismKind.Mx:
                    return await MatchMxAsync(mechanism, await TargetAsync(mechanism, domain));

                case SpfMechanismKind.Ptr:
                    {
                        var target = await TargetAsync(mechanism, domain);
                        var names = await ValidatedNamesAsync(countVoid: true);
                        if (names is null)
                        {
                            return Match.PermError;
                        }

                        // §5.5: a validated name equal to the target or ending in "." + target matches.
                        return names.Any(n => DnsNames.Same(n, target) || n.EndsWith("." + target, StringComparison.OrdinalIgnoreCase)) ? Match.Yes : Match.No;
                    }

                case SpfMechanismKind.Exists:
                    {
                        // §5.7: always an A query, whatever the connection's address family.
                        var target = await TargetAsync(mechanism, domain);
                        var found = await Dns.LookupAAsync(target, cancellationToken);
                        return Checked(found, mechanism, target, out var failure) ? (found.HasRecords ? Match.Yes : Match.No) : failure;
                    }

                case SpfMechanismKind.Include:
                    {
                        var target = await TargetAsync(mechanism, domain);
                        var included = await CheckHostAsync(target);
                        // §5.2: pass matches; fail, softfail and neutral do not; errors propagate; none is a permerror.
                        switch (included.Code)
                        {
                            case SpfResultCode.Pass:
                                return Match.Yes;
                            case SpfResultCode.TempError:
                                _problem = included.Problem;
                                return Match.TempError;
                            case SpfResultCode.PermError:
                                _problem = included.Problem;
                                return Match.PermError;
                            case SpfResultCode.None:
                                _problem = $"include:{target}: {included.Problem}";
                                return Match.PermError;
                            default:
                                return Match.No;
                        }
                    }

                default:
                    return Match.No;
            }
        }

        private async Task<Match> MatchMxAsync(SpfMechanism mechanism, string target)
        {
            var mx = await Dns.LookupMxAsync(target, cancellationToken);
            if (!Checked(mx, mechanism, target, out var failure))
            {
                return failure;
            }

            // §4.6.4: more than 10 exchanges is a permerror. A null MX (RFC 7505) names no host.
            var hosts = mx.Records.Where(r => !r.IsNull).Select(r => r.Exchange).ToList();
            if (hosts.Count > Options.MaxNamesPerMechanism)
            {
                _problem = $"{mechanism.Text}: {hosts.Count} MX records, more than {Options.MaxNamesPerMechanism} (RFC 7208 §4.6.4)";
                return Match.PermError;
            }

            foreach (var host in hosts)
            {
                var addresses = IsV4 ? await Dns.LookupAAsync(host, cancellationToken) : await Dns.LookupAaaaAsync(host, cancellationToken);
                if (addresses.IsTemporaryFailure)
                {
                    _problem = $"{mechanism.Text}: {host}: {addresses}";
                    return Match.TempError;
                }

                if (addresses.Records.Any(InCidr(mechanism)))
                {
                    return Match.Yes;
                }
            }

            return Match.No;
        }

        // §5.5: the validated names of the address: PTR names (the first 10) whose A/AAAA records include it.
        // Null only when the void-lookup limit is passed.
        private async Task<List<string>?> ValidatedNamesAsync(bool countVoid)
        {
            var ptr = await Dns.LookupPtrAsync(ip, cancellationToken);
            if (countVoid && ptr.IsVoid && !CountVoid("ptr"))
            {
                return null;
            }

            var validated = new List<string>();
            foreach (var name in ptr.Records.Take(Options.MaxNamesPerMechanism))
            {
                var addresses = IsV4 ? await Dns.LookupAAsync(name, cancellationToken) : await Dns.LookupAaaaAsync(name, cancellationToken);
                if (addresses.Records.Any(a => a.Equals(ip)))
                {
                    validated.Add(name);
                }
            }

            return validated;
        }

        // §5: an RCODE other than 0 or 3, or a time-out, makes the check temperror; NXDOMAIN and NODATA are void.
        private bool Checked<T>(DnsResult<T> result, SpfMechanism mechanism, string target, out Match failure)
        {
            failure = Match.No;
            if (result.IsTemporaryFailure)
            {
                _problem = $"{mechanism.Text}: {target}: {result}";
                failure = Match.TempError;
                return false;
            }

            if (result.IsVoid && !CountVoid(mechanism.Text))
            {
                failure = Match.PermError;
                return false;
            }

            return true;
        }

        private bool CountLookup(string term)
        {
            Lookups++;
            if (Lookups > Options.MaxDnsLookups)
            {
                _problem = $"{term}: more than {Options.MaxDnsLookups} DNS-querying terms (RFC 7208 §4.6.4)";
                return false;
            }

            return true;
        }

        private bool CountVoid(string term)
        {
            Voids++;
            if (Voids > Options.MaxVoidLookups)
            {
                _problem = $"{term}: more than {Options.MaxVoidLookups} lookups found nothing (RFC 7208 §4.6.4)";
                return false;
            }

            return true;
        }

        private Func<IPAddress, bool> InCidr(SpfMechanism mechanism)
        {
            var length = IsV4 ? mechanism.Cidr4 : mechanism.Cidr6;
            var network = new IPNetwork(SpfRecord.MaskTo(ip, length), length);
            return address => address.AddressFamily == ip.AddressFamily && network.Contains(address);
        }

        private async Task<string> TargetAsync(SpfMechanism mechanism, string domain) =>
            mechanism.DomainSpec is null ? domain : await ExpandDomainAsync(mechanism.DomainSpec, domain);

        private async Task<string> ExpandDomainAsync(SpfMacroString spec, string domain) =>
            spec.Expand(await ContextAsync(spec, domain), forDomain: true);

        private async Task<SpfMacroContext> ContextAsync(SpfMacroString spec, string domain)
        {
            var context = new SpfMacroContext(sender, localPart, senderDomain, domain, ip, helo, owner._options.ReceivingHost, owner._time.GetUtcNow());
            if (!spec.UsesValidatedName)
            {
                return context;
            }

            // §7.3 "p": a validated name, preferably the domain itself, then one of its subdomains; else "unknown".
            var names = await ValidatedNamesAsync(countVoid: false) ?? [];
            var best = names.FirstOrDefault(n => DnsNames.Same(n, domain))
                ?? names.FirstOrDefault(n => n.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase))
                ?? names.FirstOrDefault();
            return context with { ValidatedName = best ?? "unknown" };
        }

        // §6.2: the explanation is the one TXT record at the exp= domain, expanded; any trouble means none. The lookup
        // counts towards no limit.
        private async Task<string?> ExplainAsync(SpfMacroString exp, string domain)
        {
            var name = await ExpandDomainAsync(exp, domain);
            var txt = await Dns.LookupTxtAsync(name, cancellationToken);
            if (txt.Records.Count != 1 || !SpfMacroString.TryParse(txt.Records[0], explanation: true, out var text, out _))
            {
                return null;
            }

            return text.Expand(await ContextAsync(text, domain), forDomain: false);
        }
    }
}
