namespace MailAppliance.Pipeline.Authentication;

/// <summary>The DMARC results of RFC 8601 §2.7.6 (from RFC 7489 §11.2).</summary>
public enum DmarcResultCode
{
    /// <summary>No DMARC record (or no single From domain to look one up for).</summary>
    None,

    /// <summary>SPF or DKIM passed for a domain aligned with the From domain.</summary>
    Pass,

    /// <summary>Neither did.</summary>
    Fail,

    /// <summary>The record, or an aligned identifier's check, could not be had for a transient reason.</summary>
    TempError,

    /// <summary>The record cannot be used, or the From field cannot be evaluated.</summary>
    PermError,
}

/// <summary>The policy a domain asks for, and what is applied after <c>pct</c> (RFC 7489 §6.3, §6.6.4).</summary>
public enum DmarcPolicy
{
    None,
    Quarantine,
    Reject,
}

/// <summary>
/// The DMARC evaluation of one message. <see cref="Disposition"/> is what the receiver should do (none when the
/// message passed, or when <c>pct</c> sampling spared it); <see cref="Policy"/> is what the domain asked.
/// </summary>
public sealed record DmarcResult(DmarcResultCode Code, string FromDomain)
{
    /// <summary>Where the record was found (the From domain or its organisational domain).</summary>
    public string? PolicyDomain { get; init; }

    public DmarcPolicy Policy { get; init; }

    public DmarcPolicy Disposition { get; init; }

    public bool SpfAligned { get; init; }

    public bool DkimAligned { get; init; }

    /// <summary>The record's pct= (100 when absent).</summary>
    public int Percent { get; init; } = 100;

    public string? Reason { get; init; }

    public string Keyword => Code.ToString().ToLowerInvariant();
}
