namespace MailAppliance.Core.Sasl;

/// <summary>One step of a SASL exchange, as data: what the session must send or do next.</summary>
public readonly record struct SaslStep
{
    private SaslStep(SaslStepKind kind, string? challenge, SaslCredentials? credentials, SaslError error)
    {
        Kind = kind;
        Challenge = challenge;
        Credentials = credentials;
        Error = error;
    }

    public SaslStepKind Kind { get; }

    /// <summary>The server challenge, already base64 encoded (may be empty); set for <see cref="SaslStepKind.Challenge"/>.</summary>
    public string? Challenge { get; }

    /// <summary>Set for <see cref="SaslStepKind.Completed"/>.</summary>
    public SaslCredentials? Credentials { get; }

    /// <summary>Meaningful for <see cref="SaslStepKind.Failed"/> only.</summary>
    public SaslError Error { get; }

    public static SaslStep SendChallenge(string base64Challenge) => new(SaslStepKind.Challenge, base64Challenge, null, default);

    public static SaslStep Complete(SaslCredentials credentials) => new(SaslStepKind.Completed, null, credentials, default);

    public static SaslStep Fail(SaslError error) => new(SaslStepKind.Failed, null, null, error);
}
