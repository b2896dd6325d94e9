using MailAppliance.Pipeline.Srs;
using MailAppliance.Core.Security;
using MailAppliance.Core.Tls;
using MailAppliance.Pipeline.Stages;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Reports;

namespace MailAppliance.Smtp.Server;

/// <summary>
/// What every SMTP session shares: the directory (and what RCPT remembers of it), authentication, TLS, the intake
/// checks, the queue messages are submitted to, and the report sink.
/// </summary>
public sealed record SmtpServices(
    AccountDirectory Directory,
    RecipientCache Recipients,
    Authenticator Authenticator,
    AuthThrottle Throttle,
    TlsCertificateProvider? Tls,
    MessageQueue Queue,
    StagePipeline Checks,
    TimeProvider Time)
{
    /// <summary>Where the intake's decisions go as report events (none by default).</summary>
    public IReportSink Reports { get; init; } = NullReportSink.Instance;
    /// <summary>SRS (Srs:*): RCPT accepts a valid address of ours as the way back to a forward's sender.</summary>
    public SrsRewriter? Srs { get; init; }
}
