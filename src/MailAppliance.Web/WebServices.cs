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
}
