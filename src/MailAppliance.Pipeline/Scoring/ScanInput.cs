using System.Net;
using MailAppliance.Pipeline.Authentication;

namespace MailAppliance.Pipeline.Scoring;

/// <summary>The SMTP envelope of the message being scored, as intake saw it.</summary>
/// <param name="ClientAddress">The connecting client's address (null for a local submission or a file on the CLI).</param>
/// <param name="Helo">The EHLO/HELO argument.</param>
/// <param name="MailFrom">The envelope sender, "" for the null sender.</param>
/// <param name="Recipients">The envelope recipients.</param>
/// <param name="AuthenticatedUser">The SASL user of a submission, null on MX.</param>
public sealed record ScanEnvelope(IPAddress? ClientAddress, string? Helo, string MailFrom, IReadOnlyList<string> Recipients, string? AuthenticatedUser = null)
{
    /// <summary>No envelope (a file scored from the command line): the network and envelope checks have nothing to say.</summary>
    public static ScanEnvelope None { get; } = new(null, null, "", []);
}

/// <summary>The result of one authentication method (RFC 8601 result names).</summary>
public enum AuthResult
{
    None,
    Pass,
    Fail,
    SoftFail,
    Neutral,
    TempError,
    PermError,
    Policy,
}

/// <summary>
/// What SPF, DKIM and DMARC said of the message (computed by Pipeline/Authentication before scoring). The scorer
/// turns them into symbols and uses them to trust an allow-list entry.
/// </summary>
/// <param name="Spf">SPF of the MAIL FROM identity (or HELO for the null sender).</param>
/// <param name="SpfDomain">The domain SPF checked.</param>
/// <param name="DkimPassingDomains">The d= domains of the DKIM signatures that verified.</param>
/// <param name="Dkim">Overall DKIM result (Pass when at least one signature verified).</param>
/// <param name="Dmarc">DMARC for the From domain.</param>
public sealed record SenderAuthentication(AuthResult Spf, string? SpfDomain, AuthResult Dkim, IReadOnlyList<string> DkimPassingDomains, AuthResult Dmarc)
{
    /// <summary>The scorer's view of what <see cref="MessageAuthenticator"/> found (null SPF: not checked).</summary>
    public static SenderAuthentication From(AuthenticationReport report)
    {
        var spf = report.Spf is { } s ? Map(s.Code.ToString()) : AuthResult.None;
        var passing = report.Dkim.Where(d => d.Code == DkimResultCode.Pass).Select(d => d.Domain).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var dkim = passing.Count > 0 ? AuthResult.Pass
            : report.Dkim.Count == 0 ? AuthResult.None
            : Map(report.Dkim.Select(d => d.Code).OrderBy(c => c == DkimResultCode.Fail ? 0 : 1).First().ToString());
        return new SenderAuthentication(spf, report.Spf?.Domain, dkim, passing, Map(report.Dmarc.Code.ToString()));
    }

    private static AuthResult Map(string code) => Enum.TryParse<AuthResult>(code, ignoreCase: true, out var result) ? result : AuthResult.None;

    /// <summary>Nothing was checked (a file scored from the command line).</summary>
    public static SenderAuthentication Unknown { get; } = new(AuthResult.None, null, AuthResult.None, [], AuthResult.None);

    /// <summary>Whether a DKIM signature of <paramref name="domain"/> or of a parent of it verified (relaxed alignment).</summary>
    public bool DkimPassedFor(string domain) =>
        DkimPassingDomains.Any(d => Aligned(d, domain));

    /// <summary>Whether SPF passed for <paramref name="domain"/> or for a domain aligned with it.</summary>
    public bool SpfPassedFor(string domain) => Spf == AuthResult.Pass && SpfDomain is not null && Aligned(SpfDomain, domain);

    // Relaxed alignment without the public suffix list: one is the other or a parent of it. The DMARC code of the
    // dns branch does the organisational-domain form; this is only used to trust allow-list entries.
    private static bool Aligned(string a, string b) =>
        a.Equals(b, StringComparison.OrdinalIgnoreCase)
        || b.EndsWith("." + a, StringComparison.OrdinalIgnoreCase)
        || a.EndsWith("." + b, StringComparison.OrdinalIgnoreCase);
}
