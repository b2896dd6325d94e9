namespace MailAppliance.Pipeline.Authentication;

/// <summary>Limits and names for SPF evaluation.</summary>
public sealed record SpfOptions
{
    /// <summary>RFC 7208 §4.6.4: at most 10 terms that query DNS (include, a, mx, ptr, exists, redirect) per check.</summary>
    public int MaxDnsLookups { get; init; } = 10;

    /// <summary>RFC 7208 §4.6.4: at most 2 lookups that find nothing (NXDOMAIN or NODATA); two is the recommended default.</summary>
    public int MaxVoidLookups { get; init; } = 2;

    /// <summary>RFC 7208 §4.6.4: an mx mechanism may look up at most 10 exchanges; a ptr mechanism uses the first 10 names.</summary>
    public int MaxNamesPerMechanism { get; init; } = 10;

    /// <summary>The <c>%{r}</c> macro (RFC 7208 §7.3): the checking host's name; "unknown" when not set.</summary>
    public string ReceivingHost { get; init; } = "unknown";
}
