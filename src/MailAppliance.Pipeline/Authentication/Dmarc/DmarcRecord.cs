using System.Globalization;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>A parsed DMARC record (RFC 7489 §6.3), sans-I/O.</summary>
internal sealed record DmarcRecord(DmarcPolicy Policy, DmarcPolicy? SubdomainPolicy, bool StrictDkim, bool StrictSpf, int Percent, IReadOnlyList<string> AggregateReports)
{
    /// <summary>§6.4: the record starts with exactly "v=DMARC1" as its first tag.</summary>
    public static bool IsDmarcRecord(string text)
    {
        var first = text.Split(';')[0].Trim();
        var equals = first.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && first[..equals].Trim() == "v" && first[(equals + 1)..].Trim() == "DMARC1";
    }

    /// <summary>
    /// Reads the tags. §6.6.3: without a valid p= (or with a bad sp=), a record that names a valid rua= is taken
    /// as p=none; otherwise it is unusable (false).
    /// </summary>
    public static bool TryParse(string text, out DmarcRecord record, out string error)
    {
        record = null!;
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(';'))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                tags.TryAdd(part[..equals].Trim(), part[(equals + 1)..].Trim());
            }
        }

        var rua = tags.GetValueOrDefault("rua", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(u => u.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) && u.Length > 7).ToList();
        var policy = ParsePolicy(tags.GetValueOrDefault("p"));
        DmarcPolicy? subdomain = null;
        var badSubdomain = false;
        if (tags.TryGetValue("sp", out var sp))
        {
            subdomain = ParsePolicy(sp);
            badSubdomain = subdomain is null;
        }

        if (policy is null || badSubdomain)
        {
            if (rua.Count == 0)
            {
                error = policy is null ? "no valid p= tag" : "invalid sp= tag";
                return false;
            }

            policy = DmarcPolicy.None;
            subdomain = null;
        }

        var percent = 100;
        if (tags.TryGetValue("pct", out var pct) && (!int.TryParse(pct, NumberStyles.None, CultureInfo.InvariantCulture, out percent) || percent > 100))
        {
            percent = 100; // §6.3: an invalid pct is ignored
        }

        record = new DmarcRecord(policy.Value, subdomain, Strict(tags, "adkim"), Strict(tags, "aspf"), percent, rua);
        error = "";
        return true;
    }

    private static bool Strict(Dictionary<string, string> tags, string name) =>
        tags.TryGetValue(name, out var value) && value.Equals("s", StringComparison.OrdinalIgnoreCase);

    private static DmarcPolicy? ParsePolicy(string? value) => value?.ToLowerInvariant() switch
    {
        "none" => DmarcPolicy.None,
        "quarantine" => DmarcPolicy.Quarantine,
        "reject" => DmarcPolicy.Reject,
        _ => null,
    };
}
