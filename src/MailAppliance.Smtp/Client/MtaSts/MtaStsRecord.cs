namespace MailAppliance.Smtp.Client.MtaSts;

/// <summary>The TXT record at <c>_mta-sts.DOMAIN</c> (RFC 8461 §3.1): it announces a policy and names its version.</summary>
/// <param name="Id">1 to 32 letters and digits; a new id tells senders to fetch the policy again.</param>
public sealed record MtaStsRecord(string Id)
{
    /// <summary>
    /// RFC 8461 §3.1: of the TXT records, those not starting with <c>v=STSv1;</c> are discarded; unless exactly one
    /// remains and it is valid, the domain has no policy (null).
    /// </summary>
    public static MtaStsRecord? FromTxt(IEnumerable<string> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var candidates = records.Where(r => r.StartsWith("v=STSv1;", StringComparison.Ordinal)).ToList();
        return candidates.Count == 1 ? Parse(candidates[0]) : null;
    }

    /// <summary>Parses <c>v=STSv1; id=...;</c> (fields separated by ";" with optional spaces, unknown fields ignored).</summary>
    public static MtaStsRecord? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = text.Split(';').Select(f => f.Trim(' ', '\t')).Where(f => f.Length > 0).ToList();
        if (fields.Count == 0 || fields[0] != "v=STSv1")
        {
            return null;
        }

        string? id = null;
        foreach (var field in fields.Skip(1))
        {
            var equals = field.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return null;
            }

            if (field[..equals] == "id")
            {
                id ??= field[(equals + 1)..];
            }
        }

        return id is { Length: > 0 and <= 32 } && id.All(char.IsAsciiLetterOrDigit) ? new MtaStsRecord(id) : null;
    }
}
