namespace MailAppliance.Pipeline.Authentication;

/// <summary>The results of check_host() (RFC 7208 §2.6), named as Authentication-Results writes them (RFC 8601 §2.7.2).</summary>
public enum SpfResultCode
{
    /// <summary>No SPF record, or no valid domain to check (RFC 7208 §2.6.1).</summary>
    None,

    /// <summary>The domain says nothing about this address (§2.6.2).</summary>
    Neutral,

    /// <summary>The address is authorised (§2.6.3).</summary>
    Pass,

    /// <summary>The address is not authorised (§2.6.4).</summary>
    Fail,

    /// <summary>The address is probably not authorised (§2.6.5).</summary>
    SoftFail,

    /// <summary>A transient DNS error (§2.6.6): try later.</summary>
    TempError,

    /// <summary>The record cannot be interpreted, or a processing limit was passed (§2.6.7).</summary>
    PermError,
}
