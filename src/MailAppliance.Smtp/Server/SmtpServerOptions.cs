using System.Net;

namespace MailAppliance.Smtp.Server;

/// <summary>What a listener does: receive for our domains (MX), or take mail from our users (submission).</summary>
public enum SmtpRole
{
    /// <summary>Port 25: recipients must be local unless the client is trusted or authenticated (AUTH after STARTTLS).</summary>
    Mx,

    /// <summary>Port 587: STARTTLS, AUTH required to send.</summary>
    Submission,

    /// <summary>Port 465: implicit TLS, AUTH required to send.</summary>
    Submissions,
}

/// <summary>Limits and policy of the SMTP server (configuration keys in docs/configuration.md).</summary>
public sealed record SmtpServerOptions
{
    public required string Hostname { get; init; }

    public long MaxMessageSize { get; init; } = 50L * 1024 * 1024;

    public int MaxRecipients { get; init; } = 100;

    public IReadOnlyList<IPNetwork> TrustedNetworks { get; init; } = [];

    public bool AllowPlaintextAuth { get; init; }

    /// <summary>RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>RFC 5321 §4.5.3.2.5/6: data blocks and the final dot, 3 and 10 minutes.</summary>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Command line limit (RFC 5321 asks for at least 512; AUTH initial responses need more, RFC 4954 §4).</summary>
    public int MaxCommandLength { get; init; } = 4096;

    /// <summary>Refused commands before the session is closed with 421.</summary>
    public int MaxErrors { get; init; } = 10;
}
