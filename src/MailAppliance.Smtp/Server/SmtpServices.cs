using MailAppliance.Pipeline.Srs;
using MailAppliance.Core.Security;
using MailAppliance.Core.Tls;
using MailAppliance.Pipeline.Stages;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Queue;

namespace MailAppliance.Smtp.Server;

/// <summary>
/// What every SMTP session shares: the directory (and what RCPT remembers of it), authentication, TLS, the intake
/// checks, and the queue messages are submitted to.
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
    /// <summary>SRS (Srs:*): RCPT accepts a valid address of ours as the way back to a forward's sender.</summary>
    public SrsRewriter? Srs { get; init; }
}
