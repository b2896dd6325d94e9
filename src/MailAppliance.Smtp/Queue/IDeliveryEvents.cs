using MailAppliance.Pipeline.Routing;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Reports;
using MailAppliance.Storage.Spool;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// One settled delivery decision for one route of one recipient: what the scheduler (or a transport) decided and the
/// reply it got. <see cref="Route"/> is null when routing itself failed (the directory away).
/// </summary>
public sealed record DeliveryAttempt(string QueueId, string Recipient, string Sender, RecipientRoute? Route, TransportResult Result, TimeSpan Duration)
{
    /// <summary>The Message-ID of the message, when the scheduler knows it.</summary>
    public string? MessageId { get; init; }

    /// <summary>The client the message came from (the envelope's).</summary>
    public string? ClientIp { get; init; }

    /// <summary>The authenticated submitter, when there was one.</summary>
    public string? AuthenticatedUser { get; init; }

    /// <summary>A DSN was sent for this outcome (a bounce).</summary>
    public bool DsnSent { get; init; }

    /// <summary>What scoring at intake decided for this recipient (their score, Junk or not), when it scored.</summary>
    public RecipientVerdict? Spam { get; init; }

    /// <summary>The rules that fired on the message at intake.</summary>
    public IReadOnlyList<VerdictSymbol> Symbols { get; init; } = [];
}

/// <summary>
/// The hook the delivery side reports its decisions through (delivered, forwarded, discarded, deferred, bounced).
/// <see cref="Settled"/> is called after the queue row is settled; it must return at once and never throw, so a
/// report can never fail or slow a delivery.
/// </summary>
public interface IDeliveryEvents
{
    void Settled(DeliveryAttempt attempt);
}

/// <summary>
/// Writes each delivery decision as a report event (INTERFACE.md "Reports"), through the process's report sink (a
/// bounded in-memory buffer drained in batches): the default <see cref="IDeliveryEvents"/> of a running appliance.
/// </summary>
public sealed class ReportingDeliveryEvents : IDeliveryEvents
{
    private readonly IReportSink _sink;
    private readonly TimeProvider _time;

    public ReportingDeliveryEvents(IReportSink sink, TimeProvider time)
    {
        _sink = sink;
        _time = time;
    }

    public void Settled(DeliveryAttempt attempt)
    {
        try
        {
            _sink.Record(ToEvent(attempt, _time.GetUtcNow()));
        }
#pragma warning disable CA1031 // a report must never fail a delivery: whatever goes wrong here is dropped
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>The report event of a settled attempt (public for tests and for other transports' reuse).</summary>
    public static ReportEvent ToEvent(DeliveryAttempt attempt, DateTimeOffset now)
    {
        var status = attempt.Result.Status;
        var route = attempt.Route;
        var kind = status switch
        {
            RecipientStatus.Deferred => ReportKind.Deferred,
            RecipientStatus.Bounced => ReportKind.Bounced,
            RecipientStatus.Discarded => ReportKind.Discarded,
            RecipientStatus.Forwarded => ReportKind.Forwarded,
            _ when route is RecipientRoute.Forward => ReportKind.Forwarded,
            _ => ReportKind.Delivered,
        };
        var local = route as RecipientRoute.Local;
        var forward = route as RecipientRoute.Forward;
        var discard = route as RecipientRoute.Discard;

        // A forward discarded as spam carries the score against the threshold it met (a product rule: forwarded spam
        // is discarded and reported); otherwise the recipient's own verdict from intake, when scoring gave one.
        var score = discard?.Score ?? attempt.Spam?.Score;
        var verdict = discard?.Score is not null ? ReportVerdict.Spam
            : attempt.Spam is { } spam ? (spam.Junk ? ReportVerdict.Spam : ReportVerdict.Ham)
            : (ReportVerdict?)null;
        return new ReportEvent
        {
            Time = now,
            Kind = kind,
            QueueId = attempt.QueueId,
            MessageId = attempt.MessageId,
            Sender = attempt.Sender,
            Recipient = attempt.Recipient,
            User = local?.User.Address ?? attempt.AuthenticatedUser,
            Domain = DomainOf(attempt.Recipient),
            ClientIp = attempt.ClientIp,
            Reply = attempt.Result.Result,
            Reason = route switch
            {
                RecipientRoute.Discard dropped => dropped.Reason,
                RecipientRoute.Bounce bounce => $"{bounce.Status} {bounce.Reason}",
                _ => null,
            },
            // Where it was stored, as the transport decided (Junk for spam, sieve's folders), else where routing sent it.
            Folder = local is null || kind != ReportKind.Delivered ? null
                : attempt.Result.Folders.Count > 0 ? string.Join(",", attempt.Result.Folders) : local.Mailbox,
            Target = forward?.Target ?? discard?.Target ?? (route as RecipientRoute.Relay)?.Recipient,
            SrsSender = forward?.Sender,
            Score = score,
            Threshold = discard?.Threshold,
            Verdict = verdict,
            Symbols = verdict == ReportVerdict.Spam && attempt.Symbols.Count > 0 ? attempt.Symbols.Select(s => new ReportSymbol(s.Name, s.Score)).ToList() : null,
            Transport = route is null or RecipientRoute.Local or RecipientRoute.Discard ? "local" : "smtp",
            Duration = attempt.Duration,
            MetricReason = kind == ReportKind.Bounced && attempt.DsnSent ? "dsn_sent" : null,
        };
    }

    private static string? DomainOf(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0 ? null : address[(at + 1)..].ToLowerInvariant();
    }
}
