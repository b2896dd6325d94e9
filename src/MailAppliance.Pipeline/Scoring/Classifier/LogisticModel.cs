namespace MailAppliance.Pipeline.Scoring.Classifier;

/// <summary>
/// Logistic regression over hashed typed features (as Stalwart since 0.15): a weight per feature bucket, learned
/// online with AdaGrad steps, features weighted 1/√n so long and short messages are comparable.
/// </summary>
public sealed class LogisticModel : IClassifierModel
{
    public const int MinimumLearned = BayesModel.MinimumLearned;

    /// <summary>Buckets of the hashing trick (2^22): collisions are rare at a mailbox's vocabulary.</summary>
    public const int BucketBits = 22;

    private const double LearningRate = 0.5;
    private const double Regularisation = 1e-6;

    public Dictionary<int, (float Weight, float Gradients)> Weights { get; } = [];

    public double Bias { get; set; }

    public double BiasGradients { get; set; }

    public long SpamLearned { get; private set; }

    public long HamLearned { get; private set; }

    public double? SpamProbability(ReadOnlySpan<ulong> features) =>
        SpamLearned < MinimumLearned || HamLearned < MinimumLearned ? null : Predict(features);

    public void Learn(ReadOnlySpan<ulong> features, bool spam, bool unlearn = false)
    {
        // Unlearning a message is learning it as the other class: the closest a gradient model comes to taking back.
        var buckets = DistinctBuckets(features);
        var bias = Bias;
        var biasGradients = BiasGradients;
        var updated = Step(buckets, spam != unlearn, b => Weights.TryGetValue(b, out var w) ? w : default, ref bias, ref biasGradients);
        foreach (var (bucket, weight, gradients) in updated)
        {
            Weights[bucket] = (weight, gradients);
        }

        Bias = bias;
        BiasGradients = biasGradients;
        var delta = unlearn ? -1 : 1;
        if (spam)
        {
            SpamLearned = Math.Max(0, SpamLearned + delta);
        }
        else
        {
            HamLearned = Math.Max(0, HamLearned + delta);
        }
    }

    public void SetTotals(long spamLearned, long hamLearned)
    {
        SpamLearned = spamLearned;
        HamLearned = hamLearned;
    }

    public static int Bucket(ulong feature) => (int)(feature >> (64 - BucketBits));

    /// <summary>The buckets of a message's features, each once.</summary>
    public static int[] DistinctBuckets(ReadOnlySpan<ulong> features)
    {
        var buckets = new HashSet<int>(features.Length);
        foreach (var feature in features)
        {
            buckets.Add(Bucket(feature));
        }

        return [.. buckets];
    }

    /// <summary>The spam probability given the weights of a message's buckets (absent buckets weigh 0).</summary>
    public static double Predict(IReadOnlyCollection<int> buckets, Func<int, float> weight, double bias)
    {
        var scale = buckets.Count == 0 ? 0 : 1 / Math.Sqrt(buckets.Count);
        var z = bias;
        foreach (var bucket in buckets)
        {
            z += weight(bucket) * scale;
        }

        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>
    /// One AdaGrad step of logistic loss towards <paramref name="spam"/>: the new weight and squared-gradient sum of
    /// every bucket of the message, and the new bias.
    /// </summary>
    public static List<(int Bucket, float Weight, float Gradients)> Step(IReadOnlyCollection<int> buckets, bool spam,
        Func<int, (float Weight, float Gradients)> current, ref double bias, ref double biasGradients)
    {
        var error = Predict(buckets, b => current(b).Weight, bias) - (spam ? 1.0 : 0.0);
        var scale = buckets.Count == 0 ? 0 : 1 / Math.Sqrt(buckets.Count);
        var updated = new List<(int, float, float)>(buckets.Count);
        foreach (var bucket in buckets)
        {
            var w = current(bucket);
            var g = (error * scale) + (Regularisation * w.Weight);
            var sum = w.Gradients + (g * g);
            updated.Add((bucket, (float)(w.Weight - (LearningRate * g / Math.Sqrt(sum + 1e-8))), (float)sum));
        }

        biasGradients += error * error;
        bias -= LearningRate * error / Math.Sqrt(biasGradients + 1e-8);
        return updated;
    }

    private double Predict(ReadOnlySpan<ulong> features) =>
        Predict(DistinctBuckets(features), b => Weights.TryGetValue(b, out var w) ? w.Weight : 0, Bias);
}
