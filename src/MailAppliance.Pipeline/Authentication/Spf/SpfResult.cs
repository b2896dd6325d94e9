namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// The outcome of one SPF check. <see cref="Explanation"/> is set only for <see cref="SpfResultCode.Fail"/> when the
/// domain published an <c>exp=</c> that could be used (RFC 7208 §6.2); <see cref="Problem"/> says what went wrong
/// for temperror and permerror, for logs and the Authentication-Results comment.
/// </summary>
public sealed record SpfResult(SpfResultCode Code, SpfIdentity Identity, string Domain, string Sender)
{
    public string? Explanation { get; init; }

    public string? Problem { get; init; }

    /// <summary>The mechanism that decided, as written in the record (<c>-all</c>, <c>ip4:192.0.2.0/24</c>).</summary>
    public string? Mechanism { get; init; }

    /// <summary>DNS-querying terms used (at most 10 unless the record broke the limit, RFC 7208 §4.6.4).</summary>
    public int DnsLookups { get; init; }

    /// <summary>The keyword of RFC 8601 §2.7.2: <c>pass</c>, <c>softfail</c>, <c>temperror</c>, ...</summary>
    public string Keyword => Code.ToString().ToLowerInvariant();
}

/// <summary>Which identity was checked (RFC 7208 §2.3, §2.4).</summary>
public enum SpfIdentity
{
    MailFrom,
    Helo,
}
