namespace MailAppliance.Bench.Store;

/// <summary>Percentiles of a set of latencies in milliseconds (nearest rank, as most load tools report them).</summary>
internal sealed record LatencySummary(double P50, double P99, double Max, double Mean)
{
    public static LatencySummary Of(IReadOnlyCollection<double> milliseconds)
    {
        if (milliseconds.Count == 0)
        {
            return new LatencySummary(0, 0, 0, 0);
        }

        var sorted = milliseconds.Order().ToArray();
        return new LatencySummary(Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted[^1], sorted.Average());
    }

    private static double Percentile(double[] sorted, double fraction)
    {
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
