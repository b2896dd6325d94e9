namespace MailAppliance.Core.Sasl;

/// <summary>
/// One server-side SASL exchange as a small state machine without I/O: the session feeds it the client's lines and
/// does what each <see cref="SaslStep"/> says. Create one per AUTH/AUTHENTICATE command with <see cref="Create"/>.
/// </summary>
/// <example>
/// <code>
/// var step = exchange.Start(initialResponse);            // null: the command carried none
/// while (step.Kind == SaslStepKind.Challenge)
/// {
///     await Send("334 " + step.Challenge);
///     step = exchange.Respond(await ReadLine());
/// }
/// </code>
/// </example>
public abstract class SaslExchange
{
    protected SaslExchange(SaslLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Limits = limits;
    }

    /// <summary>The mechanisms this layer implements, in the order servers advertise them.</summary>
    public static IReadOnlyList<string> SupportedMechanisms { get; } = [SaslPlain.MechanismName, SaslLoginExchange.MechanismName];

    public abstract string Mechanism { get; }

    /// <summary>True once <see cref="Start"/> or <see cref="Respond"/> returned Completed or Failed.</summary>
    public bool IsFinished { get; private set; }

    protected SaslLimits Limits { get; }

    /// <summary>A new exchange for a mechanism name (case-insensitive, RFC 4422 §3.1), or null if not supported.</summary>
    public static SaslExchange? Create(string mechanism, SaslLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        limits ??= SaslLimits.Default;
        if (string.Equals(mechanism, SaslPlain.MechanismName, StringComparison.OrdinalIgnoreCase))
        {
            return new SaslPlainExchange(limits);
        }

        if (string.Equals(mechanism, SaslLoginExchange.MechanismName, StringComparison.OrdinalIgnoreCase))
        {
            return new SaslLoginExchange(limits);
        }

        return null;
    }

    /// <summary>
    /// Starts the exchange. <paramref name="initialResponse"/> is the base64 text that came with the command, null
    /// when it had none (then the first step is a challenge), "=" for an empty one (RFC 4954 §4, RFC 4959 §3).
    /// </summary>
    public SaslStep Start(string? initialResponse)
    {
        if (IsFinished)
        {
            return SaslStep.Fail(SaslError.ExchangeFinished);
        }

        var response = initialResponse == SaslBase64.EmptyInitialResponse ? string.Empty : initialResponse;
        return Track(OnStart(response));
    }

    /// <summary>Feeds one client line (base64, or "*" to cancel) in answer to the last challenge.</summary>
    public SaslStep Respond(string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return IsFinished ? SaslStep.Fail(SaslError.ExchangeFinished) : Track(OnRespond(response));
    }

    /// <param name="initialResponse">null when absent, otherwise the base64 text ("=" already turned into "").</param>
    protected abstract SaslStep OnStart(string? initialResponse);

    protected abstract SaslStep OnRespond(string response);

    private SaslStep Track(SaslStep step)
    {
        IsFinished = step.Kind != SaslStepKind.Challenge;
        return step;
    }
}
