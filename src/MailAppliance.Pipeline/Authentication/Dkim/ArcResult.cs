namespace MailAppliance.Pipeline.Authentication;

/// <summary>The ARC chain validation result (RFC 8617 §4.4, reported as <c>arc=</c> per §10.1).</summary>
public enum ArcResultCode
{
    None,
    Pass,
    Fail,
}

/// <summary>The chain's state, how many ARC sets it has, and for a fail why.</summary>
public sealed record ArcResult(ArcResultCode Code, int Instances, string? Reason = null)
{
    public string Keyword => Code.ToString().ToLowerInvariant();
}
