using MailAppliance.Core.Security;
using MailAppliance.Core.Tls;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;

using MailAppliance.Storage.Locks;

namespace MailAppliance.Pop3.Server;

/// <summary>What a POP3 session needs from the rest of the appliance.</summary>
public sealed record Pop3Services(
    MailStore Store,
    Authenticator Authenticator,
    AuthThrottle Throttle,
    TlsCertificateProvider Tls,
    IMaildropLocks Locks,
    TimeProvider Time);
