using MailAppliance.Pipeline.Stages;

namespace MailAppliance.Smtp.Server;

/// <summary>
/// Where an SMTP session stands (STYLE.md rule 3): Connected → Greeted (→ authenticated, a property of the greeting) →
/// InTransaction. A handler that needs a transaction gets one from the state, never from a nullable field; leaving a
/// transaction (RSET, EHLO, STARTTLS, the end of DATA) is one assignment that drops it with everything it holds,
/// BDAT chunks included.
/// </summary>
internal abstract record SessionState
{
    private SessionState()
    {
    }

    /// <summary>Before HELO/EHLO, and again after STARTTLS (RFC 3207 §4.2: forget everything learned before TLS).</summary>
    public sealed record Connected : SessionState
    {
        public static Connected Instance { get; } = new();
    }

    /// <summary>After HELO/EHLO; <paramref name="AuthenticatedUser"/> once AUTH succeeded.</summary>
    public sealed record Greeted(string Helo, bool Esmtp, string? AuthenticatedUser, StageOutcome HeloChecks) : SessionState;

    /// <summary>Between MAIL and the end of the message (or RSET).</summary>
    public sealed record InTransaction(Greeted Greeting, SmtpTransaction Transaction) : SessionState;

    /// <summary>The greeting in force, if any.</summary>
    public Greeted? CurrentGreeting => this switch
    {
        Greeted g => g,
        InTransaction t => t.Greeting,
        _ => null,
    };
}

/// <summary>Which states a command may run in (the command table's column).</summary>
[Flags]
internal enum AllowedIn
{
    Connected = 1,
    Greeted = 2,
    InTransaction = 4,
    Any = Connected | Greeted | InTransaction,
}
