namespace MailAppliance.Storage.Reports;

/// <summary>
/// Which events a listing or a follower wants. Every condition given must hold; <see cref="Involving"/> and
/// <see cref="Viewer"/> both select events where the address is the sender, a recipient or the authenticated user
/// (the viewer is the non-admin looking: they see only their own mail, whatever else they ask for).
/// </summary>
public sealed record ReportFilter
{
    /// <summary>Empty: every kind.</summary>
    public IReadOnlyCollection<ReportKind> Kinds { get; init; } = [];

    /// <summary>A domain (A-label, lower case): the event's domain, or the sender's or recipient's domain.</summary>
    public string? Domain { get; init; }

    /// <summary>An address (compared case-insensitively).</summary>
    public string? Involving { get; init; }

    /// <summary>A non-admin looking: only events that involve this address. Null for an admin.</summary>
    public string? Viewer { get; init; }

    public string? QueueId { get; init; }

    public DateTimeOffset? Since { get; init; }

    public DateTimeOffset? Until { get; init; }
}
