namespace MailAppliance.Pipeline.Routing;

/// <summary>
/// <c>Forwarding:*</c>: the score at or over which a forward is discarded rather than relayed (receivers block the
/// IPs of servers that forward spam to them), per destination domain (<c>Forwarding:DiscardThresholds</c>, the
/// domain or a parent of it) and otherwise <c>Forwarding:DiscardThreshold</c>; and after how many refusals as spam in
/// a row a forward pauses.
/// </summary>
public sealed record ForwardingOptions
{
    public double DiscardThreshold { get; init; } = 6.0;

    public IReadOnlyDictionary<string, double> DiscardThresholds { get; init; } = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);

    /// <summary><c>Forwarding:PauseAfter</c>: refusals as spam (5.7.x) in a row that pause a forward; 0 never pauses.</summary>
    public int PauseAfter { get; init; } = 5;

    /// <summary>The threshold for a target domain: its own entry, else its nearest parent's, else the default.</summary>
    public double ThresholdFor(string domain)
    {
        var name = domain.TrimEnd('.').ToLowerInvariant();
        while (true)
        {
            if (DiscardThresholds.TryGetValue(name, out var threshold))
            {
                return threshold;
            }

            var dot = name.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                return DiscardThreshold;
            }

            name = name[(dot + 1)..];
        }
    }
}
