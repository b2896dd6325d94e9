using MailAppliance.Core.Security;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Reports;
using MailAppliance.Web.Metrics;

namespace MailAppliance.Web;

/// <summary>What the HTTP side works on: the same components the protocols and the CLI use.</summary>
public sealed record WebServices(
    AccountDirectory Directory,
    Authenticator Authenticator,
    AuthThrottle Throttle,
    PasswordHasher Hasher,
    MessageQueue Queue,
    ReportStore Reports,
    ReportFeed Feed,
    FlowGauges Gauges,
    MailMetrics Metrics,
    TimeProvider Time)
{
    /// <summary>True while every configured mail listener is accepting (readiness).</summary>
    public Func<bool> ListenersUp { get; init; } = () => true;

    /// <summary>Spam thresholds and lists per level (global, domain, user): <c>/admin/spam</c>; null when not wired.</summary>
    public Storage.Spam.SpamSettingsStore? Spam { get; init; }

    /// <summary>The configured global thresholds (<c>Spam:TagThreshold</c>, <c>Spam:RejectThreshold</c>, <c>Forwarding:DiscardThreshold</c>).</summary>
    public (double Tag, double Reject, double DiscardForward) SpamDefaults { get; init; } = (5.0, 15.0, 6.0);

    /// <summary>Each forward destination's discard threshold (<c>Forwarding:*</c>): the forward page shows it.</summary>
    public Pipeline.Routing.ForwardingOptions Forwarding { get; init; } = new();

    /// <summary>Users' auto-replies (the sieve script <c>vacation</c>, as <c>vacation set</c> writes it); null when not wired.</summary>
    public Pipeline.Sieve.VacationSettings? Vacation { get; init; }

    /// <summary>The zone a date without a time is read in (<c>vacation set --until 2026-12-24</c> means its end there).</summary>
    public TimeZoneInfo Zone { get; init; } = TimeZoneInfo.Local;
}
