using System.Globalization;
using System.Text.RegularExpressions;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Dkim;

namespace MailAppliance.Cli;

/// <summary><c>dkim generate DOMAIN [--selector S] [--algorithm rsa|ed25519]</c>.</summary>
public static partial class DkimVerbs
{
    public const string GenerateUsage = "dkim generate DOMAIN [--selector S] [--algorithm rsa|ed25519]";

    public static async Task Generate(AdminContext c)
    {
        if (c.Arguments.Count != 1)
        {
            throw new UsageException($"usage: {GenerateUsage}");
        }

        var domain = await KnownDomainAsync(c, c.Arguments[0]);
        var selector = c.Command.Value("--selector") ?? DateTime.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        if (!Selector().IsMatch(selector))
        {
            throw new UsageException($"--selector: '{selector}' is not a selector (letters, digits and hyphens, in dot-separated labels; RFC 6376 §3.1)");
        }

        var algorithm = (c.Command.Value("--algorithm") ?? "rsa").ToLowerInvariant() switch
        {
            "rsa" => DkimKeyAlgorithm.Rsa,
            "ed25519" => DkimKeyAlgorithm.Ed25519,
            var other => throw new UsageException($"--algorithm: '{other}' is not rsa or ed25519"),
        };

        var store = new DkimKeyStore(c.Database);
        var files = new DkimKeyFiles(c.Options.Storage.DkimDirectory);
        if (await store.ExistsAsync(domain, selector, c.CancellationToken))
        {
            throw new CommandFailedException($"{domain} already has a DKIM key with selector {selector} (choose another with --selector)");
        }

        var pair = DkimKeys.Generate(algorithm);
        if (!files.TryCreate(domain, selector, pair.PrivateKeyPem))
        {
            throw new CommandFailedException($"the key file {files.PathOf(domain, selector)} exists already; remove it or choose another --selector");
        }

        var keyFile = files.PathOf(domain, selector);
        if (!await store.AddAsync(domain, selector, pair.SignatureAlgorithm, pair.PublicKeyRecord, keyFile, c.CancellationToken))
        {
            files.Delete(domain, selector);
            throw new CommandFailedException($"{domain} already has a DKIM key with selector {selector}");
        }

        var record = new ZoneRecord(ZoneRecord.Fqdn($"{selector}._domainkey.{domain}"), "TXT", ZoneRecord.DefaultTtl, pair.PublicKeyRecord);
        c.Output.Done(record.ToZoneLine(), new
        {
            domain,
            selector,
            algorithm = pair.SignatureAlgorithm,
            keyFile,
            name = record.Name,
            type = record.Type,
            ttl = record.Ttl,
            value = record.Value,
        });
    }

    /// <summary>An A-label domain the directory knows; others are refused like <c>user add</c> refuses them.</summary>
    internal static async Task<string> KnownDomainAsync(AdminContext c, string text)
    {
        if (!DomainName.TryParse(text, out var domain, out var error))
        {
            throw new DirectoryException(DirectoryError.InvalidAddress, error);
        }

        var domains = await c.Directory.ListDomainsAsync(c.CancellationToken);
        if (domains.All(d => d.Name != domain.Ascii))
        {
            throw new DirectoryException(DirectoryError.UnknownDomain, $"unknown domain {domain} (add it with: domain add {domain})");
        }

        return domain.Ascii;
    }

    // RFC 6376 §3.1: selector = sub-domain *( "." sub-domain ), each an LDH label.
    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex Selector();
}
