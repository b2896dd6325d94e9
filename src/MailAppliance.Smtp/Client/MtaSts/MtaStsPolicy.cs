using System.Globalization;

namespace MailAppliance.Smtp.Client.MtaSts;

/// <summary>RFC 8461 §5: what a policy asks of senders.</summary>
public enum MtaStsMode
{
    /// <summary>Refuse MX hosts that do not match or whose certificate fails validation.</summary>
    Enforce,

    /// <summary>Report failures (TLSRPT) but deliver anyway.</summary>
    Testing,

    /// <summary>No policy in force (used to withdraw one).</summary>
    None,
}

/// <summary>
/// An MTA-STS policy (RFC 8461 §3.2), as fetched from <c>https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c>.
/// </summary>
/// <param name="Mx">The MX patterns: host names, or <c>*.</c> and a domain for any host one label below it.</param>
/// <param name="MaxAge">How long the policy may be cached and used (RFC 8461 §3.2: at most 31557600 seconds).</param>
public sealed record MtaStsPolicy(MtaStsMode Mode, IReadOnlyList<string> Mx, TimeSpan MaxAge)
{
    /// <summary>RFC 8461 §3.2: max_age is at most 31557600 (about a year).</summary>
    public const long MaxMaxAgeSeconds = 31_557_600;

    /// <summary>RFC 8461 §4.1: does <paramref name="mxHost"/> match one of the policy's mx patterns?</summary>
    public bool Matches(string mxHost)
    {
        ArgumentNullException.ThrowIfNull(mxHost);
        var host = mxHost.TrimEnd('.').ToLowerInvariant();
        foreach (var pattern in Mx)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                // A wildcard covers exactly one leftmost label: "*.example.com" matches "mx.example.com" but
                // neither "example.com" nor "a.mx.example.com".
                var suffix = pattern[1..];
                if (host.EndsWith(suffix, StringComparison.Ordinal) && host.Length > suffix.Length && !host[..^suffix.Length].Contains('.', StringComparison.Ordinal))
                {
                    return true;
                }
            }
            else if (host == pattern)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The TLS policy for an MX host under this policy (RFC 8461 §4.2): in enforce mode a matching host must present
    /// a certificate valid for its name; in testing mode (and mode none) delivery goes on as without a policy.
    /// Null: enforce mode and the host does not match, so it must not be used.
    /// </summary>
    public TlsPolicy? TlsPolicyFor(string mxHost) => Mode switch
    {
        MtaStsMode.Enforce => Matches(mxHost) ? TlsPolicy.RequiredVerified(mxHost.TrimEnd('.')) : null,
        _ => TlsPolicy.Opportunistic,
    };

    /// <summary>The policy in its RFC 8461 §3.2 form (what <see cref="TryParse"/> reads back).</summary>
    public string ToText()
    {
        var sb = new System.Text.StringBuilder("version: STSv1\r\nmode: ");
        sb.Append(Mode switch { MtaStsMode.Enforce => "enforce", MtaStsMode.Testing => "testing", _ => "none" }).Append("\r\n");
        foreach (var mx in Mx)
        {
            sb.Append("mx: ").Append(mx).Append("\r\n");
        }

        return sb.Append("max_age: ").Append(((long)MaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture)).Append("\r\n").ToString();
    }

    /// <summary>
    /// Parses a policy body (RFC 8461 §3.2): <c>key: value</c> lines ended by LF or CRLF; version must be STSv1;
    /// mode, max_age and (unless mode is none) at least one mx are required; unknown keys are ignored; for keys other
    /// than mx the first occurrence counts.
    /// </summary>
    public static bool TryParse(string text, out MtaStsPolicy? policy, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        policy = null;
        error = "";
        string? version = null;
        string? mode = null;
        string? maxAge = null;
        var mx = new List<string>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                error = $"line '{line}' is not 'key: value'";
                return false;
            }

            var key = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            switch (key)
            {
                case "version":
                    version ??= value;
                    break;
                case "mode":
                    mode ??= value;
                    break;
                case "max_age":
                    maxAge ??= value;
                    break;
                case "mx":
                    mx.Add(value.ToLowerInvariant().TrimEnd('.'));
                    break;
            }
        }

        if (version != "STSv1")
        {
            error = "version is not STSv1";
            return false;
        }

        MtaStsMode parsedMode;
        switch (mode)
        {
            case "enforce":
                parsedMode = MtaStsMode.Enforce;
                break;
            case "testing":
                parsedMode = MtaStsMode.Testing;
                break;
            case "none":
                parsedMode = MtaStsMode.None;
                break;
            default:
                error = $"mode '{mode}' is not enforce, testing or none";
                return false;
        }

        // max-age-value = 1*10(DIGIT)
        if (maxAge is null || maxAge.Length is < 1 or > 10 || !long.TryParse(maxAge, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            error = "max_age is missing or not a number";
            return false;
        }

        if (mx.Any(p => !IsPattern(p)))
        {
            error = $"mx '{mx.First(p => !IsPattern(p))}' is not a host name or *.domain";
            return false;
        }

        if (mx.Count == 0 && parsedMode != MtaStsMode.None)
        {
            error = "no mx";
            return false;
        }

        policy = new MtaStsPolicy(parsedMode, mx, TimeSpan.FromSeconds(Math.Min(seconds, MaxMaxAgeSeconds)));
        return true;
    }

    private static bool IsPattern(string pattern)
    {
        var name = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern[2..] : pattern;
        return name.Length is > 0 and <= 253
            && name.Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'));
    }
}
