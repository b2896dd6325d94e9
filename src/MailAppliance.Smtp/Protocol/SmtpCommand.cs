using MailAppliance.Core.Addresses;

namespace MailAppliance.Smtp.Protocol;

/// <summary>One parsed SMTP command (RFC 5321 §4.1.1 and the ESMTP extensions we offer).</summary>
public abstract record SmtpCommand
{
    public sealed record Helo(string Domain) : SmtpCommand;

    public sealed record Ehlo(string Domain) : SmtpCommand;

    public sealed record Mail(ReversePath From, MailParameters Parameters) : SmtpCommand;

    public sealed record Rcpt(ForwardPath To, IReadOnlyDictionary<string, string?> Parameters) : SmtpCommand;

    public sealed record Data : SmtpCommand;

    /// <summary>RFC 3030 CHUNKING: <c>BDAT size [LAST]</c>.</summary>
    public sealed record Bdat(long Size, bool Last) : SmtpCommand;

    public sealed record Rset : SmtpCommand;

    public sealed record Noop : SmtpCommand;

    public sealed record Quit : SmtpCommand;

    public sealed record Vrfy(string Argument) : SmtpCommand;

    public sealed record Expn(string Argument) : SmtpCommand;

    public sealed record Help(string? Topic) : SmtpCommand;

    public sealed record StartTls : SmtpCommand;

    /// <summary>RFC 4954: <c>AUTH mechanism [initial-response]</c>; "=" is an empty initial response.</summary>
    public sealed record Auth(string Mechanism, string? InitialResponse) : SmtpCommand;
}

/// <summary>The reverse-path of MAIL FROM: an address, or the null path <c>&lt;&gt;</c> of bounces.</summary>
public sealed record ReversePath(MailAddress? Address)
{
    public static ReversePath Null { get; } = new((MailAddress?)null);

    public bool IsNull => Address is null;

    public override string ToString() => Address is null ? "<>" : $"<{Address}>";
}

/// <summary>
/// The forward-path of RCPT TO. <see cref="HasSourceRoute"/> marks the obsolete <c>&lt;@a,@b:user@c&gt;</c> form
/// (RFC 5321 §4.1.1.3: the route may be ignored, but relay rules must see it). <see cref="IsPostmaster"/> is the
/// bare <c>&lt;Postmaster&gt;</c> every server must accept (RFC 5321 §4.5.1).
/// </summary>
public sealed record ForwardPath(MailAddress? Address, bool HasSourceRoute, bool IsPostmaster)
{
    /// <summary>The domain part was an address literal (<c>user@[192.0.2.1]</c>): never one of our domains.</summary>
    public string? AddressLiteral { get; init; }

    public override string ToString() => IsPostmaster ? "<Postmaster>" : $"<{Address}>";
}

/// <summary>
/// MAIL FROM parameters we understand (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 4954 AUTH, RFC 3461
/// RET/ENVID, RFC 8689 REQUIRETLS).
/// </summary>
public sealed record MailParameters
{
    public static MailParameters None { get; } = new();

    public long? Size { get; init; }

    /// <summary>7BIT, 8BITMIME or BINARYMIME.</summary>
    public string Body { get; init; } = "7BIT";

    public bool SmtpUtf8 { get; init; }

    public string? Auth { get; init; }

    public string? Ret { get; init; }

    public string? EnvelopeId { get; init; }

    /// <summary>RFC 8689 REQUIRETLS: the message may travel on only over verified TLS to servers that offer REQUIRETLS.</summary>
    public bool RequireTls { get; init; }
}
