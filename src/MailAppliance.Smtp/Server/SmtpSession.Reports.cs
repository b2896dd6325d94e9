using MailAppliance.Pipeline.Checks;
using MailAppliance.Pipeline.Stages;
using MailAppliance.Smtp.Protocol;
using MailAppliance.Storage.Reports;
using MailAppliance.Storage.Spool;

namespace MailAppliance.Smtp.Server;

/// <summary>
/// The intake's decisions as report events (INTERFACE.md "Reports"): every refusal at CONNECT, HELO, MAIL, RCPT and
/// DATA with the reply given, and every accepted message, one event per recipient. Recording only hands the event to
/// the sink (a bounded in-memory buffer): it never waits for the database and cannot fail the session.
/// </summary>
public sealed partial class SmtpSession
{
    private string ClientIp => (_connection.RemoteEndPoint.Address.IsIPv4MappedToIPv6 ? _connection.RemoteEndPoint.Address.MapToIPv4() : _connection.RemoteEndPoint.Address).ToString();

    /// <summary>A refusal. <paramref name="reason"/> is the short label metrics count it under (<c>unknown_user</c>).</summary>
    private void ReportRejected(ReportStage stage, SmtpReply reply, string reason, string? sender = null, string? recipient = null, string? queueId = null, StageOutcome? checks = null)
    {
        var text = reply.ToString();
        _services.Reports.Record(new ReportEvent
        {
            Time = _services.Time.GetUtcNow(),
            Kind = ReportKind.Rejected,
            Stage = stage,
            QueueId = queueId,
            Sender = sender,
            Recipient = recipient,
            User = AuthenticatedUser,
            Domain = DomainOf(recipient) ?? DomainOf(AuthenticatedUser),
            ClientIp = ClientIp,
            Reply = text,
            Reason = checks?.Reason,
            Score = (checks is null ? null : ScoreFor(checks, recipient)?.Score) ?? (checks is { Symbols.Count: > 0 } ? checks.Score : null),
            Verdict = checks is null ? null : RejectedVerdict(checks, recipient),
            Symbols = checks is { Symbols.Count: > 0 } ? Symbols(checks) : null,
            MetricReason = reason,
            Temporary = reply.Code is >= 400 and < 500,
        });
    }

    /// <summary>A message taken into the queue: one event per recipient, with the verdict so far.</summary>
    private void ReportAccepted(SpoolEnvelope envelope, StageOutcome verdict, string reply)
    {
        var now = _services.Time.GetUtcNow();
        foreach (var recipient in envelope.Recipients)
        {
            _services.Reports.Record(new ReportEvent
            {
                Time = now,
                Kind = ReportKind.Accepted,
                QueueId = envelope.QueueId,
                Sender = envelope.MailFrom,
                Recipient = recipient.Address,
                User = envelope.AuthenticatedUser,
                Domain = DomainOf(recipient.Address),
                ClientIp = ClientIp,
                Reply = reply,
                // Scoring decides per recipient (their thresholds, lists and classifier): their own score and
                // whether it is spam to them; the symbols are the message's.
                Score = ScoreFor(verdict, recipient.Address)?.Score ?? (verdict.Symbols.Count > 0 ? verdict.Score : null),
                Verdict = ScoreFor(verdict, recipient.Address) is { } scored ? (scored.Junk ? ReportVerdict.Spam : ReportVerdict.Ham) : null,
                Symbols = verdict.Symbols.Count > 0 ? Symbols(verdict) : null,
                MetricReason = "accepted",
            });
        }
    }

    private static RecipientVerdict? ScoreFor(StageOutcome outcome, string? recipient) =>
        recipient is null ? null : outcome.Recipients.FirstOrDefault(r => string.Equals(r.Recipient, recipient, StringComparison.OrdinalIgnoreCase));

    /// <summary>A refusal by the checks: a virus, or spam when scoring found the message spam for this recipient (or every one).</summary>
    private static ReportVerdict? RejectedVerdict(StageOutcome checks, string? recipient)
    {
        if (checks.Action == CheckAction.Accept)
        {
            return null;
        }

        if (checks.Reason?.StartsWith(SpamCheck.VirusFound, StringComparison.Ordinal) == true)
        {
            return ReportVerdict.Virus;
        }

        return (ScoreFor(checks, recipient) is { } scored ? scored.Junk : checks.Recipients.Count > 0 && checks.Recipients.All(r => r.Junk))
            ? ReportVerdict.Spam
            : null;
    }

    private static List<ReportSymbol> Symbols(StageOutcome outcome) => outcome.Symbols.Select(s => new ReportSymbol(s.Name, s.Score)).ToList();

    private static string? DomainOf(string? address)
    {
        var at = address?.LastIndexOf('@') ?? -1;
        return at < 0 ? null : address![(at + 1)..].ToLowerInvariant();
    }

    /// <summary>The metric label of a refusal by its reply (bounded: a fixed set of names).</summary>
    private static string ReasonOf(SmtpReply reply) => reply.Enhanced switch
    {
        "5.1.1" => "unknown_user",
        "5.7.1" when reply.Code == 550 && reply.Lines.Count > 0 && reply.Lines[0] == SmtpReplies.RelayDenied.Lines[0] => "relay_denied",
        "5.7.1" or "4.7.1" => "policy",
        "5.7.0" => "auth_required",
        "5.3.4" => "size",
        "4.3.1" => "disk_full",
        "4.3.0" => "temporary",
        "4.2.2" => "mailbox_full",
        "4.5.3" => "too_many_recipients",
        "5.1.3" => "bad_address",
        "5.6.7" => "smtputf8_required",
        _ => reply.Code >= 500 ? "other" : "temporary",
    };
}
