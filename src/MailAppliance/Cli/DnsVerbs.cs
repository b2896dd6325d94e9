using System.Net;
using System.Security.Cryptography;
using System.Text;
using MailAppliance.Storage.Dkim;

namespace MailAppliance.Cli;

/// <summary><c>dns records DOMAIN [--json]</c>: the records to publish for a domain we host.</summary>
public static class DnsVerbs
{
    public const string RecordsUsage = "dns records DOMAIN [--json]";

    public static async Task Records(AdminContext c)
    {
        if (c.Arguments.Count != 1)
        {
            throw new UsageException($"usage: {RecordsUsage}");
        }

        var domain = await DkimVerbs.KnownDomainAsync(c, c.Arguments[0]);
        var keys = await new DkimKeyStore(c.Database).ListAsync(domain, cancellationToken: c.CancellationToken);
        var records = Build(domain, c.Options.Hostname, c.Options.Listeners, keys);
        if (c.Output.Json)
        {
            c.Output.Table(records, [], _ => []);
            return;
        }

        foreach (var record in records)
        {
            c.Output.Line(record.ToZoneLine());
        }
    }

    /// <summary>The records, in the order printed.</summary>
    public static IReadOnlyList<ZoneRecord> Build(string domain, string hostname, Configuration.ListenerOptions listeners, IReadOnlyList<DkimKeyEntry> keys)
    {
        var zone = ZoneRecord.Fqdn(domain);
        var host = ZoneRecord.Fqdn(hostname);
        const int Ttl = ZoneRecord.DefaultTtl;
        var records = new List<ZoneRecord>
        {
            new(zone, "MX", Ttl, $"10 {host}"),
            // RFC 7208: the MX host is the one that sends; everyone else fails.
            new(zone, "TXT", Ttl, "v=spf1 mx -all"),
        };

        // The HELO identity (RFC 7208 §2.3) of our host, when it lives in this zone.
        if (hostname.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase))
        {
            records.Add(new(host, "TXT", Ttl, "v=spf1 a -all"));
        }

        records.AddRange(keys.Select(k => new ZoneRecord(ZoneRecord.Fqdn($"{k.Selector}._domainkey.{domain}"), "TXT", Ttl, k.PublicKey)));
        // RFC 7489 §6.3; reports to postmaster, which RFC 5321 §4.5.1 requires every domain to have.
        records.Add(new($"_dmarc.{zone}", "TXT", Ttl, $"v=DMARC1; p=quarantine; adkim=r; aspf=r; rua=mailto:postmaster@{domain}"));
        // RFC 8461 §3.1: the id changes whenever the policy (which names our MX host) changes.
        records.Add(new($"_mta-sts.{zone}", "TXT", Ttl, $"v=STSv1; id={PolicyId(hostname)}"));
        records.Add(new($"mta-sts.{zone}", "CNAME", Ttl, host));
        // RFC 8460 §3: TLS reporting.
        records.Add(new($"_smtp._tls.{zone}", "TXT", Ttl, $"v=TLSRPTv1; rua=mailto:postmaster@{domain}"));
        // RFC 6186 (with RFC 8314 §5.1: implicit TLS first); a disabled listener is "0 0 0 ." (RFC 2782: not offered).
        foreach (var (service, endpoints, priority) in new[]
        {
            ("_submissions._tcp", listeners.Submissions, 0), ("_submission._tcp", listeners.Submission, 10),
            ("_imaps._tcp", listeners.Imaps, 0), ("_imap._tcp", listeners.Imap, 10),
            ("_pop3s._tcp", listeners.Pop3s, 0), ("_pop3._tcp", listeners.Pop3, 10),
        })
        {
            records.Add(new($"{service}.{zone}", "SRV", Ttl, endpoints.Count == 0 ? "0 0 0 ." : $"{priority} 1 {Port(endpoints)} {host}"));
        }

        // Thunderbird's autoconfig and Outlook's autodiscover ask these names (served on Http:Listen behind HTTPS).
        records.Add(new($"autoconfig.{zone}", "CNAME", Ttl, host));
        records.Add(new($"autodiscover.{zone}", "CNAME", Ttl, host));
        return records;
    }

    private static int Port(IReadOnlyList<IPEndPoint> endpoints) => endpoints[0].Port;

    private static string PolicyId(string hostname) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("mta-sts:" + hostname.ToLowerInvariant())))[..20].ToLowerInvariant();
}
