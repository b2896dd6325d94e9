using MailAppliance.Storage.Spam;

namespace MailAppliance.Pipeline.Scoring.Policy;

/// <summary>
/// The policy that applies to one recipient: thresholds from the narrowest level that sets each (user, then domain,
/// then global settings, then the configuration), and allow/block entries of all three levels, the narrowest match
/// deciding (a user's allow beats a global block).
/// </summary>
public sealed record SpamPolicy(double TagThreshold, double RejectThreshold, double? DiscardForwardThreshold, IReadOnlyList<SpamListEntry> Entries)
{
    public const double AllowScore = -100;
    public const double BlockScore = 100;

    /// <summary>The scopes whose rows apply to <paramref name="userKey"/> (global only when null).</summary>
    public static IReadOnlyList<SpamScope> ScopesFor(string? userKey)
    {
        if (userKey is null)
        {
            return [SpamScope.Global];
        }

        var domain = userKey[(userKey.LastIndexOf('@') + 1)..];
        return [SpamScope.Global, SpamScope.ForDomain(domain), SpamScope.ForUser(userKey)];
    }

    public static SpamPolicy Resolve(SpamPolicyRows rows, SpamOptions options)
    {
        double? Pick(Func<SpamThresholdRow, double?> value) =>
            rows.Thresholds.OrderByDescending(r => r.Scope.Kind).Select(value).FirstOrDefault(v => v is not null);

        return new SpamPolicy(
            Pick(r => r.Tag) ?? options.TagThreshold,
            Pick(r => r.Reject) ?? options.RejectThreshold,
            Pick(r => r.DiscardForward),
            rows.Entries);
    }

    public static SpamPolicy Defaults(SpamOptions options) => new(options.TagThreshold, options.RejectThreshold, null, []);

    /// <summary>
    /// The list entry deciding for a sender address (the narrowest scope with a matching entry; within one scope an
    /// address entry before a domain entry, and a domain before its parents).
    /// </summary>
    public SpamListEntry? Match(string? address)
    {
        if (string.IsNullOrEmpty(address) || address.LastIndexOf('@') is var at && at <= 0)
        {
            return null;
        }

        var lower = address.ToLowerInvariant();
        var domain = lower[(at + 1)..];
        return Entries
            .Select(e => (Entry: e, Specificity: Specificity(e.Entry, lower, domain)))
            .Where(m => m.Specificity > 0)
            .OrderByDescending(m => m.Entry.Scope.Kind)
            .ThenByDescending(m => m.Specificity)
            .Select(m => m.Entry)
            .FirstOrDefault();
    }

    // 0 no match; an address match is more specific than any domain; a longer domain than a shorter one.
    private static int Specificity(string entry, string address, string domain)
    {
        if (entry.Contains('@', StringComparison.Ordinal))
        {
            return entry == address ? 10_000 : 0;
        }

        return domain == entry || domain.EndsWith("." + entry, StringComparison.Ordinal) ? entry.Length : 0;
    }
}
