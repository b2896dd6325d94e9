using MailAppliance.Pipeline.Dns;
using MimeKit;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// What intake runs on a received message: DKIM per signature, ARC, and DMARC over those and the SPF result the
/// SMTP session computed. The message is read from its spool bytes as received, streamed: MimeKit parses it
/// persistently, so bodies stay in the file and are only hashed.
/// </summary>
public sealed class MessageAuthenticator
{
    private readonly DkimChecker _dkim;
    private readonly DmarcVerifier _dmarc;

    public MessageAuthenticator(IDnsResolver dns, PublicSuffixList suffixes, TimeProvider? time = null, Func<int>? dmarcSample = null)
    {
        _dkim = new DkimChecker(dns, time);
        _dmarc = new DmarcVerifier(dns, suffixes, dmarcSample);
        Spf = new SpfVerifier(dns, time: time);
    }

    /// <summary>The SPF checker sharing the same resolver, for the session to run at MAIL FROM.</summary>
    public SpfVerifier Spf { get; }

    /// <summary>
    /// Checks the message in <paramref name="message"/> (a seekable stream positioned at its first header byte,
    /// e.g. the spool file after its envelope). The stream is not closed.
    /// </summary>
    public async Task<AuthenticationReport> AuthenticateAsync(Stream message, SpfResult? spf, CancellationToken cancellationToken = default)
    {
        MimeMessage parsed;
        try
        {
            var parser = new MimeParser(message, MimeFormat.Entity, persistent: message.CanSeek);
            parsed = await parser.ParseMessageAsync(cancellationToken);
        }
        catch (FormatException e)
        {
            return new AuthenticationReport(spf, [], new ArcResult(ArcResultCode.None, 0),
                new DmarcResult(DmarcResultCode.PermError, "") { Reason = "the message does not parse: " + e.Message });
        }

        return await AuthenticateAsync(parsed, spf, cancellationToken);
    }

    public async Task<AuthenticationReport> AuthenticateAsync(MimeMessage message, SpfResult? spf, CancellationToken cancellationToken = default)
    {
        var dkim = await _dkim.VerifyAsync(message, cancellationToken);
        var arc = await _dkim.VerifyArcAsync(message, cancellationToken);
        var dmarc = FromDomain(message, out var from, out var problem)
            ? await _dmarc.EvaluateAsync(from, spf, dkim, cancellationToken)
            : new DmarcResult(problem is null ? DmarcResultCode.None : DmarcResultCode.PermError, "") { Reason = problem ?? "no From domain" };
        return new AuthenticationReport(spf, dkim, arc, dmarc);
    }

    /// <summary>
    /// RFC 7489 §6.6.1: the one RFC5322.From domain. Several From fields, or addresses in several domains, make
    /// DMARC unable to decide (permerror); none makes it not apply.
    /// </summary>
    private static bool FromDomain(MimeMessage message, out string domain, out string? problem)
    {
        domain = "";
        problem = null;
        var fields = message.Headers.Count(h => h.Id == HeaderId.From);
        if (fields == 0)
        {
            return false;
        }

        if (fields > 1)
        {
            problem = "several From fields";
            return false;
        }

        var domains = message.From.Mailboxes.Select(m => m.Domain.TrimEnd('.').ToLowerInvariant()).Where(d => d.Length > 0).Distinct().ToList();
        switch (domains.Count)
        {
            case 0:
                problem = "the From field has no domain";
                return false;
            case > 1:
                problem = "the From field names several domains";
                return false;
            default:
                domain = domains[0];
                return true;
        }
    }
}
