using MailAppliance.Core.Security;
using MailAppliance.Core.Tls;
using MailAppliance.Pipeline.Sieve;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Sieve;

namespace MailAppliance.ManageSieve.Server;

/// <summary>What a ManageSieve session needs from the rest of the appliance.</summary>
public sealed record ManageSieveServices(
    SieveScriptStore Scripts,
    SieveScriptCache Compiler,
    Authenticator Authenticator,
    AuthThrottle Throttle,
    TlsCertificateProvider Tls,
    TimeProvider Time);

/// <summary>Settings of the ManageSieve server (the listener builds it from ApplianceOptions).</summary>
public sealed record ManageSieveServerOptions
{
    public required string Hostname { get; init; }

    /// <summary>Allow AUTHENTICATE before TLS (<c>Auth:AllowPlaintextWithoutTls</c>).</summary>
    public bool AllowPlaintextAuth { get; init; }

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Longest command line apart from literals.</summary>
    public int MaxLineLength { get; init; } = 8 * 1024;

    public int MaxErrors { get; init; } = 20;
}

/// <summary>RFC 5804 §2: a session is either not yet authenticated or authenticated as one user.</summary>
public abstract record ManageSieveSessionState
{
    private ManageSieveSessionState()
    {
    }

    public sealed record NotAuthenticated : ManageSieveSessionState;

    public sealed record Authenticated(long UserId, Core.Addresses.MailAddress Address) : ManageSieveSessionState;
}
