using System.Text;
using System.Text.Unicode;

namespace MailAppliance.Core.Sasl;

/// <summary>The PLAIN mechanism's message, RFC 4616 §2: <c>[authzid] NUL authcid NUL passwd</c>, UTF-8.</summary>
public static class SaslPlain
{
    public const string MechanismName = "PLAIN";

    /// <summary>Parses a base64 response; "*" cancels, the length is bounded before decoding.</summary>
    public static SaslStep ParseResponse(string response, SaslLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return SaslBase64.TryDecode(response, limits.MaxPlainMessageOctets, out var octets, out var error)
            ? Parse(octets, limits)
            : SaslStep.Fail(error);
    }

    /// <summary>Parses the decoded message.</summary>
    public static SaslStep Parse(ReadOnlySpan<byte> message, SaslLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (message.Length > limits.MaxPlainMessageOctets)
        {
            return SaslStep.Fail(SaslError.TooLong);
        }

        // Exactly two NULs: none may appear inside a field (RFC 4616 §2, UTF8-SAFE excludes %x00).
        var first = message.IndexOf((byte)0);
        if (first < 0)
        {
            return SaslStep.Fail(SaslError.Malformed);
        }

        var afterFirst = message[(first + 1)..];
        var second = afterFirst.IndexOf((byte)0);
        if (second < 0 || afterFirst[(second + 1)..].Contains((byte)0))
        {
            return SaslStep.Fail(SaslError.Malformed);
        }

        var authzid = message[..first];
        var authcid = afterFirst[..second];
        var passwd = afterFirst[(second + 1)..];
        if (authzid.Length > limits.MaxFieldOctets || authcid.Length > limits.MaxFieldOctets || passwd.Length > limits.MaxFieldOctets)
        {
            return SaslStep.Fail(SaslError.TooLong);
        }

        if (!Utf8.IsValid(authzid) || !Utf8.IsValid(authcid) || !Utf8.IsValid(passwd))
        {
            return SaslStep.Fail(SaslError.InvalidUtf8);
        }

        if (authcid.IsEmpty)
        {
            return SaslStep.Fail(SaslError.EmptyAuthenticationId);
        }

        if (passwd.IsEmpty)
        {
            return SaslStep.Fail(SaslError.EmptyPassword);
        }

        return SaslStep.Complete(new SaslCredentials(
            authzid.IsEmpty ? null : Encoding.UTF8.GetString(authzid),
            Encoding.UTF8.GetString(authcid),
            Encoding.UTF8.GetString(passwd)));
    }

    /// <summary>Builds a base64 PLAIN response (for the outbound SMTP client and for tests).</summary>
    public static string Encode(string? authorizationId, string authenticationId, string password)
    {
        var text = $"{authorizationId}\0{authenticationId}\0{password}";
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
    }
}
