using MailAppliance.Pipeline.Routing;
using System.Globalization;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Scoring;
using MailAppliance.Pipeline.Scoring.Checks;
using MailAppliance.Pipeline.Srs;
using Microsoft.Extensions.Configuration;

namespace MailAppliance.Configuration;

/// <summary>The pipeline's keys: <c>Srs:*</c> and <c>Spam:*</c>.</summary>
public static partial class OptionsReader
{
    private static SrsOptions ReadSrs(IConfiguration configuration, string hostname, string dataDirectory)
    {
        var domain = Blank(configuration["Srs:Domain"]) ?? hostname;
        if (!DomainName.TryParse(domain, out var parsed, out var error))
        {
            throw new ConfigurationException("Srs:Domain", error);
        }

        var secretFile = Blank(configuration["Srs:SecretFile"]) ?? Path.Combine(dataDirectory, "srs.secret");
        return new SrsOptions(
            parsed.Ascii,
            Path.IsPathFullyQualified(secretFile) ? secretFile : Path.GetFullPath(secretFile),
            (int)Integer(configuration, "Srs:MaxAgeDays", SrsOptions.DefaultMaxAgeDays, 1, 1000));
    }

    private static SpamOptions ReadSpam(IConfiguration configuration)
    {
        var tag = Number(configuration, "Spam:TagThreshold", 5.0);
        var reject = Number(configuration, "Spam:RejectThreshold", 15.0);
        var rulesFile = Blank(configuration["Spam:RulesFile"]);
        if (rulesFile is not null)
        {
            rulesFile = Path.GetFullPath(rulesFile);
            if (!File.Exists(rulesFile))
            {
                throw new ConfigurationException("Spam:RulesFile", $"file '{rulesFile}' does not exist");
            }
        }

        var clamd = Blank(configuration["Spam:Clamd"]);
        if (clamd is not null && !ClamdClient.TryParseEndpoint(clamd, out _))
        {
            throw new ConfigurationException("Spam:Clamd", $"'{clamd}' is not a socket path (/run/clamav/clamd.ctl) or host:port");
        }

        return new SpamOptions
        {
            TagThreshold = tag,
            RejectThreshold = reject,
            RulesFile = rulesFile,
            DnsLists = DnsLists(configuration, "Spam:Dnsbl"),
            Clamd = clamd,
            ClamdMaxSize = Size(configuration, "Spam:ClamdMaxSize", 25L * 1024 * 1024),
            MaxScanSize = Size(configuration, "Spam:MaxScanSize", SpamOptions.DefaultMaxScanSize),
            TimeBudget = Duration(configuration, "Spam:TimeBudget", TimeSpan.FromSeconds(10)),
            AutoLearnSpamScore = Number(configuration, "Spam:AutoLearnSpamScore", 12.0),
            AutoLearnHamScore = Number(configuration, "Spam:AutoLearnHamScore", -0.5),
            ClassifierMinimumLearned = (int)Integer(configuration, "Spam:ClassifierMinimumLearned", 10, 1, 1_000_000),
        };
    }

    /// <summary><c>Forwarding:DiscardThreshold</c>, <c>Forwarding:DiscardThresholds</c> (a map: domain → score), <c>Forwarding:PauseAfter</c>.</summary>
    private static ForwardingOptions ReadForwarding(IConfiguration configuration)
    {
        var thresholds = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in configuration.GetSection("Forwarding:DiscardThresholds").GetChildren())
        {
            var key = $"Forwarding:DiscardThresholds:{entry.Key}";
            if (!DomainName.TryParse(entry.Key.TrimEnd('.'), out var domain, out var error))
            {
                throw new ConfigurationException(key, $"'{entry.Key}' is not a domain: {error}");
            }

            thresholds[domain.Ascii] = Number(configuration, key, 6.0);
        }

        return new ForwardingOptions
        {
            DiscardThreshold = Number(configuration, "Forwarding:DiscardThreshold", 6.0),
            DiscardThresholds = thresholds,
            PauseAfter = (int)Integer(configuration, "Forwarding:PauseAfter", 5, 0, 1000),
        };
    }

    private static double Number(IConfiguration configuration, string key, double defaultValue)
    {
        var value = Blank(configuration[key]);
        if (value is null)
        {
            return defaultValue;
        }

        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result) && double.IsFinite(result)
            ? result
            : throw new ConfigurationException(key, $"'{value}' is not a number");
    }

    /// <summary>INTERFACE.md: a duration is a number with s, m, h or d (<c>30s</c>, <c>4h</c>).</summary>
    private static TimeSpan Duration(IConfiguration configuration, string key, TimeSpan defaultValue)
    {
        var value = Blank(configuration[key]);
        if (value is null)
        {
            return defaultValue;
        }

        var unit = value[^1];
        if (value.Length < 2 || !double.TryParse(value[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount <= 0
            || unit is not ('s' or 'm' or 'h' or 'd'))
        {
            throw new ConfigurationException(key, $"'{value}' is not a duration (a number with s, m, h or d: 10s, 2m)");
        }

        return unit switch { 's' => TimeSpan.FromSeconds(amount), 'm' => TimeSpan.FromMinutes(amount), 'h' => TimeSpan.FromHours(amount), _ => TimeSpan.FromDays(amount) };
    }

    /// <summary>A list of <c>[uri:]zone[=weight]</c>: a JSON array or one string separated by commas or spaces.</summary>
    private static List<DnsList> DnsLists(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        var items = section.GetChildren().Any()
            ? section.GetChildren().Select(c => c.Value ?? "")
            : (section.Value ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
        var lists = new List<DnsList>();
        foreach (var raw in items.Select(i => i.Trim()).Where(i => i.Length > 0))
        {
            var text = raw;
            var uri = text.StartsWith("uri:", StringComparison.OrdinalIgnoreCase);
            text = uri ? text[4..] : text;
            var weight = uri ? 2.0 : 3.0;
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                if (!double.TryParse(text[(equals + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out weight) || !double.IsFinite(weight))
                {
                    throw new ConfigurationException(key, $"'{raw}': the weight after '=' is not a number");
                }

                text = text[..equals];
            }

            if (!DomainName.TryParse(text, out var zone, out var error))
            {
                throw new ConfigurationException(key, $"'{raw}': {error} (items are [uri:]zone[=weight], e.g. zen.spamhaus.org=3.5, list.dnswl.org=-2, uri:multi.uribl.com=2)");
            }

            lists.Add(new DnsList(zone.Ascii, weight, uri));
        }

        return lists;
    }
}
