namespace MailAppliance.Core.Sasl;

/// <summary>
/// What a password mechanism yields: who logs in (<paramref name="AuthenticationId"/>), as whom
/// (<paramref name="AuthorizationId"/>, null when the client named nobody else: RFC 4616 §2 "act as the
/// authentication identity"), and the password to check.
/// </summary>
public sealed record SaslCredentials(string? AuthorizationId, string AuthenticationId, string Password)
{
    /// <summary>The password stays out of logs and exception messages.</summary>
    public override string ToString() => $"SaslCredentials {{ AuthorizationId = {AuthorizationId}, AuthenticationId = {AuthenticationId} }}";
}
