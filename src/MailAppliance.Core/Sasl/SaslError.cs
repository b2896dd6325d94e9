namespace MailAppliance.Core.Sasl;

/// <summary>Why an exchange ended without credentials. Each maps to one reply of the protocol.</summary>
public enum SaslError
{
    /// <summary>The client sent "*" (RFC 4954 §4, RFC 3501 §6.2.2, RFC 5034 §4): SMTP answers 501 5.7.0.</summary>
    Cancelled,

    /// <summary>The response is not canonical base64 (RFC 4648 §4, no white space, correct padding).</summary>
    InvalidBase64,

    /// <summary>The response, or one of its fields, is longer than <see cref="SaslLimits"/> allows.</summary>
    TooLong,

    /// <summary>The decoded message does not have the mechanism's shape (for PLAIN: two NULs).</summary>
    Malformed,

    /// <summary>A field is not valid UTF-8 (RFC 4616 §2 requires UTF-8).</summary>
    InvalidUtf8,

    /// <summary>The authentication identity (user name) is empty.</summary>
    EmptyAuthenticationId,

    /// <summary>The password is empty (RFC 4616 §2: <c>passwd = 1*SAFE</c>).</summary>
    EmptyPassword,

    /// <summary>A response arrived after the exchange had ended.</summary>
    ExchangeFinished,
}
