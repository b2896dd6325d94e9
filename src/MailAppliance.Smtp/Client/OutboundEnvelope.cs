using MailAppliance.Core.Addresses;

namespace MailAppliance.Smtp.Client;

/// <summary>RFC 3461 §4.1 NOTIFY: NEVER alone, or any of SUCCESS, FAILURE, DELAY.</summary>
[Flags]
public enum DsnNotify
{
    /// <summary>NOTIFY=NEVER.</summary>
    Never = 0,
    Success = 1,
    Failure = 2,
    Delay = 4,
}

/// <summary>RFC 3461 §4.3 RET.</summary>
public enum DsnReturn
{
    Unspecified,
    Full,
    Headers,
}

/// <summary>RFC 6152 / RFC 3030 body types, as the submitter declared them (or as a scan of the spool found).</summary>
public enum BodyType
{
    SevenBit,
    EightBitMime,
    BinaryMime,
}

/// <summary>RFC 3461 §4.2 ORCPT: an address type (<c>rfc822</c>, <c>utf-8</c>) and the original address, decoded.</summary>
public sealed record OriginalRecipient(string AddressType, string Address)
{
    /// <summary>Reads the parameter as it travels (<c>rfc822;alice+2Bx@example.test</c>); null when malformed.</summary>
    public static OriginalRecipient? FromParameter(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var semicolon = value.IndexOf(';', StringComparison.Ordinal);
        if (semicolon <= 0 || !Xtext.TryDecode(value[(semicolon + 1)..], out var address) || address.Length == 0)
        {
            return null;
        }

        return new OriginalRecipient(value[..semicolon], address);
    }

    /// <summary>The parameter value to send: addr-type ";" xtext (RFC 3461 §4.2).</summary>
    public string ToParameter() => AddressType + ";" + Xtext.Encode(Address);
}

/// <summary>One recipient of an outbound transaction with its RFC 3461 parameters (passed on when offered).</summary>
/// <param name="Notify">Null: no NOTIFY parameter (the receiving server's default, failures and delays).</param>
public sealed record OutboundRecipient(MailAddress Address, DsnNotify? Notify = null, OriginalRecipient? OriginalRecipient = null)
{
    public override string ToString() => Address.ToString();
}

/// <summary>
/// What the SMTP client needs to send one message: the envelope and what the message needs from the receiving
/// server. The body itself is passed separately as a stream of the spooled bytes.
/// </summary>
/// <param name="Sender">Null for the null reverse-path (<c>MAIL FROM:&lt;&gt;</c>) of bounces and DSNs.</param>
/// <param name="Size">The exact number of octets the body stream will give (RFC 1870 SIZE).</param>
/// <param name="Body">8BITMIME (or BINARYMIME) when the content has 8-bit octets (RFC 6152).</param>
/// <param name="SmtpUtf8">
/// RFC 6531: the message needs SMTPUTF8 (UTF-8 in its headers). Also implied by any envelope address whose local
/// part is not ASCII (<see cref="NeedsSmtpUtf8"/>).
/// </param>
/// <param name="RequireTls">RFC 8689 REQUIRETLS: deliver only over verified TLS to servers that offer REQUIRETLS.</param>
public sealed record OutboundEnvelope(
    MailAddress? Sender,
    IReadOnlyList<OutboundRecipient> Recipients,
    long Size,
    BodyType Body = BodyType.SevenBit,
    bool SmtpUtf8 = false,
    DsnReturn Return = DsnReturn.Unspecified,
    string? EnvelopeId = null,
    bool RequireTls = false)
{
    /// <summary>True when the envelope cannot be sent without SMTPUTF8 (RFC 6531 §3.4).</summary>
    public bool NeedsSmtpUtf8 => SmtpUtf8 || (Sender?.RequiresSmtpUtf8 ?? false) || Recipients.Any(r => r.Address.RequiresSmtpUtf8);

    /// <summary>The same envelope for a subset of its recipients (those still to be tried at the next host).</summary>
    public OutboundEnvelope For(IReadOnlyList<OutboundRecipient> recipients) => this with { Recipients = recipients };
}
