using System.Diagnostics;

namespace MailAppliance.Bench.Smtp;

/// <summary>Percentiles over per-message latencies in Stopwatch ticks, reported in milliseconds.</summary>
internal sealed record LatencyStats(double P50Ms, double P99Ms, double MaxMs, double MeanMs)
{
    public static LatencyStats From(IReadOnlyCollection<long> ticks)
    {
        if (ticks.Count == 0)
        {
            return new LatencyStats(0, 0, 0, 0);
        }

        var sorted = ticks.Order().ToArray();
        static double Ms(long t) => t * 1000.0 / Stopwatch.Frequency;
        double At(double q) => Ms(sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)]);
        return new LatencyStats(At(0.50), At(0.99), Ms(sorted[^1]), sorted.Average(Ms));
    }
}
