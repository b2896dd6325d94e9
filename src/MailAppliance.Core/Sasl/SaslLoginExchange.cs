using System.Text;
using System.Text.Unicode;

namespace MailAppliance.Core.Sasl;

/// <summary>
/// LOGIN (draft-murchison-sasl-login): the server asks "Username:" then "Password:", each answered with one base64
/// line. An initial response, when given, is the user name. Only ever offered over TLS, like PLAIN.
/// </summary>
public sealed class SaslLoginExchange(SaslLimits limits) : SaslExchange(limits)
{
    public const string MechanismName = "LOGIN";

    /// <summary>base64("Username:"), the first challenge.</summary>
    public const string UsernameChallenge = "VXNlcm5hbWU6";

    /// <summary>base64("Password:"), the second challenge.</summary>
    public const string PasswordChallenge = "UGFzc3dvcmQ6";

    private string? _userName;

    public override string Mechanism => MechanismName;

    protected override SaslStep OnStart(string? initialResponse) =>
        initialResponse is null ? SaslStep.SendChallenge(UsernameChallenge) : OnRespond(initialResponse);

    protected override SaslStep OnRespond(string response)
    {
        if (!SaslBase64.TryDecode(response, Limits.MaxFieldOctets, out var octets, out var error))
        {
            return SaslStep.Fail(error);
        }

        if (octets.AsSpan().Contains((byte)0))
        {
            return SaslStep.Fail(SaslError.Malformed);
        }

        if (!Utf8.IsValid(octets))
        {
            return SaslStep.Fail(SaslError.InvalidUtf8);
        }

        if (_userName is null)
        {
            if (octets.Length == 0)
            {
                return SaslStep.Fail(SaslError.EmptyAuthenticationId);
            }

            _userName = Encoding.UTF8.GetString(octets);
            return SaslStep.SendChallenge(PasswordChallenge);
        }

        return octets.Length == 0
            ? SaslStep.Fail(SaslError.EmptyPassword)
            : SaslStep.Complete(new SaslCredentials(null, _userName, Encoding.UTF8.GetString(octets)));
    }
}
