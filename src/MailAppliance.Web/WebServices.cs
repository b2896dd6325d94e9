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
}
