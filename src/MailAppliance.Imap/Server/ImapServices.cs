using MailAppliance.Core.Security;
using MailAppliance.Core.Tls;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>What an IMAP session needs from the rest of the appliance.</summary>
public sealed record ImapServices(
    MailStore Store,
    Authenticator Authenticator,
    AuthThrottle Throttle,
    TlsCertificateProvider Tls,
    MailboxChangeListener Changes,
    TimeProvider Time);
