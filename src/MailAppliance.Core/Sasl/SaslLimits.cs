namespace MailAppliance.Core.Sasl;

/// <summary>Bounds checked before any base64 is decoded.</summary>
/// <param name="MaxFieldOctets">
/// The most octets of one field (authorization id, user name, password). RFC 4616 §2: a server MUST accept up to
/// 255 octets in each; the default leaves room for long pass phrases.
/// </param>
public sealed record SaslLimits(int MaxFieldOctets = 1024)
{
    public static SaslLimits Default { get; } = new();

    /// <summary>The longest decoded PLAIN message: three fields and two NULs.</summary>
    public int MaxPlainMessageOctets => (3 * MaxFieldOctets) + 2;
}
