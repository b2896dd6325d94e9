namespace MailAppliance.Storage.Accounts;

public sealed record DomainEntry(string Name, string UnicodeName, long Users, long Aliases, DateTimeOffset CreatedAt);

public sealed record UserEntry(long Id, string Address, long? QuotaBytes, long? QuotaMessages, bool Enabled, bool HasPassword, DateTimeOffset CreatedAt);

public sealed record AliasEntry(string Address, IReadOnlyList<string> Targets, DateTimeOffset CreatedAt);

/// <summary>What the directory says an address is, for RCPT and delivery.</summary>
public abstract record Resolution
{
    private Resolution()
    {
    }

    /// <summary>In a local domain, but neither a user nor an alias: refuse it (no catch-all, ever).</summary>
    public sealed record Unknown : Resolution;

    /// <summary>Not in any local domain: relay rules decide.</summary>
    public sealed record NotLocal : Resolution;

    /// <summary>
    /// The address expands (directly, or through aliases) to these local users and external addresses,
    /// each listed once.
    /// </summary>
    public sealed record Recipients(IReadOnlyList<LocalUser> Users, IReadOnlyList<string> External) : Resolution;
}

public sealed record LocalUser(long Id, string Address, long? QuotaBytes, long? QuotaMessages, bool Enabled)
{
    /// <summary>Storage in use when the address was resolved (quota_usage).</summary>
    public long UsedBytes { get; init; }

    public long UsedMessages { get; init; }
}

/// <summary>A user's forward: targets, whether a copy stays, and whether the receivers' refusals paused it.</summary>
public sealed record ForwardEntry(string User, IReadOnlyList<string> Targets, bool Keep, int SpamRejections, DateTimeOffset? PausedAt, string? PausedReason);
