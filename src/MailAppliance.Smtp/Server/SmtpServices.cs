using MailAppliance.Core.Security;
using MailAppliance.Core.Tls;
using MailAppliance.Smtp.Queue;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;

namespace MailAppliance.Smtp.Server;

/// <summary>What every SMTP session shares: the directory (and what RCPT remembers of it), authentication, TLS, the spool and the queue.</summary>
public sealed record SmtpServices(
    AccountDirectory Directory,
    RecipientCache Recipients,
    Authenticator Authenticator,
    AuthThrottle Throttle,
    TlsCertificateProvider? Tls,
    MessageSpool Spool,
    QueueStore Queue,
    DeliveryWorker? Worker,
    TimeProvider Time);
