namespace MailAppliance.Pipeline.Bench;

/// <summary>The labelled corpus (bench/spam/fetch-corpus.sh) split into train and test halves, stratified, fixed seed.</summary>
internal sealed record LabelledMessage(string Path, bool Spam, byte[] Bytes);

internal static class Corpus
{
    public static (List<LabelledMessage> Train, List<LabelledMessage> Test) Load(string directory, int seed = 20261205)
    {
        var all = new List<LabelledMessage>();
        foreach (var group in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            var spam = Path.GetFileName(group).StartsWith("spam", StringComparison.Ordinal);
            foreach (var file in Directory.GetFiles(group).Order(StringComparer.Ordinal))
            {
                all.Add(new LabelledMessage(file, spam, StripMboxLine(File.ReadAllBytes(file))));
            }
        }

        var random = new Random(seed);
        var train = new List<LabelledMessage>();
        var test = new List<LabelledMessage>();
        foreach (var label in new[] { true, false })
        {
            var items = all.Where(m => m.Spam == label).OrderBy(_ => random.Next()).ToList();
            train.AddRange(items.Take(items.Count / 2));
            test.AddRange(items.Skip(items.Count / 2));
        }

        // Interleave the training order as mail arrives: spam and ham mixed.
        train = train.OrderBy(_ => random.Next()).ToList();
        return (train, test);
    }

    // The corpus files start with an mbox "From " separator line, which is not part of the message.
    private static byte[] StripMboxLine(byte[] bytes)
    {
        if (bytes.AsSpan().StartsWith("From "u8))
        {
            var lf = Array.IndexOf(bytes, (byte)'\n');
            return lf < 0 ? bytes : bytes[(lf + 1)..];
        }

        return bytes;
    }
}

/// <summary>AUC and recall at a false-positive rate, from scores where higher means spam.</summary>
internal static class Metrics
{
    public static double Auc(IReadOnlyList<(double Score, bool Spam)> results)
    {
        // Mann-Whitney U with ties counted half.
        var sorted = results.OrderBy(r => r.Score).ToList();
        double rankSum = 0;
        var i = 0;
        while (i < sorted.Count)
        {
            var j = i;
            while (j < sorted.Count && sorted[j].Score == sorted[i].Score)
            {
                j++;
            }

            var rank = (i + j + 1) / 2.0; // average of ranks i+1..j
            for (var k = i; k < j; k++)
            {
                if (sorted[k].Spam)
                {
                    rankSum += rank;
                }
            }

            i = j;
        }

        double spam = results.Count(r => r.Spam);
        double ham = results.Count - spam;
        return (rankSum - (spam * (spam + 1) / 2)) / (spam * ham);
    }

    /// <summary>The best recall with a threshold whose false-positive rate is at most <paramref name="maxFpr"/>; and that threshold and FPR.</summary>
    public static (double Recall, double Threshold, double Fpr) RecallAtFpr(IReadOnlyList<(double Score, bool Spam)> results, double maxFpr)
    {
        var hams = results.Where(r => !r.Spam).Select(r => r.Score).OrderByDescending(s => s).ToList();
        var spams = results.Where(r => r.Spam).Select(r => r.Score).ToList();
        var allowed = (int)Math.Floor(hams.Count * maxFpr);
        // Threshold just above the (allowed+1)-th highest ham score: at most `allowed` hams reach it.
        var threshold = allowed < hams.Count ? NextUp(hams[allowed]) : double.NegativeInfinity;
        var fp = hams.Count(h => h >= threshold);
        var tp = spams.Count(s => s >= threshold);
        return ((double)tp / spams.Count, threshold, (double)fp / hams.Count);
    }

    private static double NextUp(double x) => Math.BitIncrement(x);
}
