namespace MailAppliance.Pipeline.Scoring.Classifier;

/// <summary>
/// Naive Bayes over OSB features as Rspamd and SpamBayes do it: each feature's spam probability from its counts
/// (Robinson's smoothing towards 0.5 for rare features), the most telling features combined with Fisher's
/// inverse chi-square on both sides.
/// </summary>
public sealed class BayesModel : IClassifierModel
{
    /// <summary>Below this many spam or ham messages learned the model says nothing (Rspamd's min_learns is 200; a user's Junk folder rarely holds that many at first).</summary>
    public const int MinimumLearned = 20;

    private const double Strength = 1.0; // Robinson's s
    private const double Unknown = 0.5;  // Robinson's x
    private const double MinimumDeviation = 0.1;
    private const int MaxDiscriminators = 200;

    public BayesModel()
    {
    }

    public BayesModel(Dictionary<ulong, (int Spam, int Ham)> counts, long spamLearned, long hamLearned)
    {
        Counts = counts;
        SpamLearned = spamLearned;
        HamLearned = hamLearned;
    }

    /// <summary>Per feature: in how many spam and ham messages it was seen.</summary>
    public Dictionary<ulong, (int Spam, int Ham)> Counts { get; } = [];

    public long SpamLearned { get; private set; }

    public long HamLearned { get; private set; }

    public double? SpamProbability(ReadOnlySpan<ulong> features)
    {
        if (SpamLearned < MinimumLearned || HamLearned < MinimumLearned)
        {
            return null;
        }

        var clues = new List<double>(Math.Min(features.Length, 1024));
        foreach (var feature in features)
        {
            if (!Counts.TryGetValue(feature, out var c) || (c.Spam == 0 && c.Ham == 0))
            {
                continue;
            }

            var spamRatio = (double)c.Spam / SpamLearned;
            var hamRatio = (double)c.Ham / HamLearned;
            var p = spamRatio / (spamRatio + hamRatio);
            var n = c.Spam + c.Ham;
            var f = ((Strength * Unknown) + (n * p)) / (Strength + n);
            if (Math.Abs(f - 0.5) >= MinimumDeviation)
            {
                clues.Add(f);
            }
        }

        if (clues.Count == 0)
        {
            return 0.5;
        }

        if (clues.Count > MaxDiscriminators)
        {
            clues.Sort((a, b) => Math.Abs(b - 0.5).CompareTo(Math.Abs(a - 0.5)));
            clues.RemoveRange(MaxDiscriminators, clues.Count - MaxDiscriminators);
        }

        double hamSum = 0, spamSum = 0;
        foreach (var f in clues)
        {
            var clamped = Math.Clamp(f, 0.0001, 0.9999);
            spamSum += Math.Log(1 - clamped);
            hamSum += Math.Log(clamped);
        }

        var h = ChiSquareComplement(-2 * hamSum, 2 * clues.Count);  // near 1 when the clues look like ham
        var s = ChiSquareComplement(-2 * spamSum, 2 * clues.Count); // near 1 when they look like spam
        return (1 + h - s) / 2;
    }

    public void Learn(ReadOnlySpan<ulong> features, bool spam, bool unlearn = false)
    {
        var delta = unlearn ? -1 : 1;
        foreach (var feature in features)
        {
            Counts.TryGetValue(feature, out var c);
            c = spam ? (Math.Max(0, c.Spam + delta), c.Ham) : (c.Spam, Math.Max(0, c.Ham + delta));
            if (c.Spam == 0 && c.Ham == 0)
            {
                Counts.Remove(feature);
            }
            else
            {
                Counts[feature] = c;
            }
        }

        if (spam)
        {
            SpamLearned = Math.Max(0, SpamLearned + delta);
        }
        else
        {
            HamLearned = Math.Max(0, HamLearned + delta);
        }
    }

    /// <summary>Applies counts read from storage (replacing what the model had for those features).</summary>
    public void Set(ulong feature, int spam, int ham)
    {
        if (spam == 0 && ham == 0)
        {
            Counts.Remove(feature);
        }
        else
        {
            Counts[feature] = (spam, ham);
        }
    }

    public void SetTotals(long spamLearned, long hamLearned)
    {
        SpamLearned = spamLearned;
        HamLearned = hamLearned;
    }

    // P(chi² with `degrees` degrees of freedom ≥ x), for even degrees (SpamBayes' chi2Q).
    private static double ChiSquareComplement(double x, int degrees)
    {
        var m = x / 2;
        var term = Math.Exp(-m);
        var sum = term;
        for (var i = 1; i < degrees / 2; i++)
        {
            term *= m / i;
            sum += term;
        }

        return Math.Min(sum, 1.0);
    }
}
