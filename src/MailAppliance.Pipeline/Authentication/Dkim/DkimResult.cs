namespace MailAppliance.Pipeline.Authentication;

/// <summary>The DKIM results of RFC 8601 §2.7.1.</summary>
public enum DkimResultCode
{
    /// <summary>The message was not signed.</summary>
    None,

    /// <summary>The signature verified.</summary>
    Pass,

    /// <summary>The signature or the body hash did not verify.</summary>
    Fail,

    /// <summary>The signature could not be processed for a reason not covered by the others.</summary>
    Neutral,

    /// <summary>The public key could not be fetched for a transient reason (DNS SERVFAIL, time-out).</summary>
    TempError,

    /// <summary>The signature or its key is unusable: syntax, missing key, revoked key, expired, bad algorithm.</summary>
    PermError,
}

/// <summary>One DKIM-Signature's outcome with the tags Authentication-Results reports (RFC 8601 §2.7.1, RFC 6008).</summary>
public sealed record DkimResult(DkimResultCode Code, string Domain, string Selector, string Algorithm)
{
    /// <summary>The i= tag (agent or user identifier), when the signature has one.</summary>
    public string? Identity { get; init; }

    /// <summary>Why it did not pass, in a few words.</summary>
    public string? Reason { get; init; }

    /// <summary>The first 8 characters of b= (RFC 6008 <c>header.b</c>), to tell several signatures of one domain apart.</summary>
    public string SignaturePrefix { get; init; } = "";

    public string Keyword => Code.ToString().ToLowerInvariant();
}
