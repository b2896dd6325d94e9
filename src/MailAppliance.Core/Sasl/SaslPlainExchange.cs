namespace MailAppliance.Core.Sasl;

/// <summary>
/// PLAIN (RFC 4616): the client sends everything at once, as the initial response or after an empty challenge
/// (RFC 4954 §4: "334 " followed by nothing).
/// </summary>
public sealed class SaslPlainExchange(SaslLimits limits) : SaslExchange(limits)
{
    public override string Mechanism => SaslPlain.MechanismName;

    protected override SaslStep OnStart(string? initialResponse) =>
        initialResponse is null ? SaslStep.SendChallenge(string.Empty) : SaslPlain.ParseResponse(initialResponse, Limits);

    protected override SaslStep OnRespond(string response) => SaslPlain.ParseResponse(response, Limits);
}
