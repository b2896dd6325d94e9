using System.Net;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Stages;

namespace MailAppliance.Pipeline.Checks;

/// <summary>
/// The name a client gives in HELO/EHLO. RFC 5321 §4.1.1.1: it is the client's fully qualified domain name, or an
/// address literal when it has none. A bare word (<c>localhost</c>, <c>PC123</c>) or a bare IP address is what spam
/// software sends: a small score, never a rejection on its own (the greeting is not verified, only typical).
/// Mail from authenticated users is not scored for it (their clients say what they like).
/// </summary>
public sealed class HeloCheck : ISmtpCheck
{
    public const string NotFqdn = "HELO_NOT_FQDN";
    public const string BareIp = "HELO_BAREIP";

    public string Name => "HELO";

    public IReadOnlySet<SmtpStage> Stages { get; } = new HashSet<SmtpStage> { SmtpStage.Helo };

    public Task<CheckResult> CheckAsync(SmtpStage stage, CheckContext context, CancellationToken cancellationToken) =>
        Task.FromResult(Check(context));

    private static CheckResult Check(CheckContext context)
    {
        var helo = context.Helo ?? "";
        if (context.AuthenticatedUser is not null || IsAddressLiteral(helo))
        {
            return CheckResult.Nothing;
        }

        if (IPAddress.TryParse(helo, out _))
        {
            return CheckResult.Symbol(BareIp, 1.0);
        }

        return !helo.Contains('.', StringComparison.Ordinal) || !DomainName.TryParse(helo.TrimEnd('.'), out _, out _)
            ? CheckResult.Symbol(NotFqdn, 0.5)
            : CheckResult.Nothing;
    }

    /// <summary><c>[192.0.2.1]</c> or <c>[IPv6:2001:db8::1]</c> (RFC 5321 §4.1.3).</summary>
    private static bool IsAddressLiteral(string helo) =>
        helo.Length > 2 && helo[0] == '[' && helo[^1] == ']'
        && IPAddress.TryParse(helo[1..^1].StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase) ? helo[6..^1] : helo[1..^1], out _);
}
