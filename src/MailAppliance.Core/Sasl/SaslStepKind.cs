namespace MailAppliance.Core.Sasl;

public enum SaslStepKind
{
    /// <summary>Send <see cref="SaslStep.Challenge"/> to the client (SMTP "334 ", IMAP "+ ", POP3 "+ ") and wait.</summary>
    Challenge,

    /// <summary>The client gave credentials: check them (after <c>AuthThrottle.DelayFor</c>).</summary>
    Completed,

    /// <summary>The exchange failed; <see cref="SaslStep.Error"/> says why.</summary>
    Failed,
}
