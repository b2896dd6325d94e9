using System.Diagnostics;
using MailAppliance.Pipeline.Scoring;
using MailAppliance.Pipeline.Scoring.Classifier;
using MailAppliance.Pipeline.Scoring.Rules;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Pipeline.Bench;

/// <summary>
/// <c>corpus CORPUS-DIR [THREADS]</c>: the whole scorer (built-in rules and the logistic classifier, no network
/// checks) trained on the train half and measured on the test half: AUC, recall at FPR ≤ 0.5 %, and messages scored
/// per second. The classifier's weights are held in memory as the scanner's cache holds them; the learning path
/// through PostgreSQL is not part of the timed scoring.
/// </summary>
internal static class CorpusBenchmark
{
    public static void Run(string directory, int threads)
    {
        var (train, test) = Corpus.Load(directory);
        var options = new SpamOptions();
        var model = new LogisticModel();
        foreach (var message in train)
        {
            using var stream = new MemoryStream(message.Bytes, writable: false);
            model.Learn(Tokenizer.Features(MessageContent.Read(stream, options.MaxScanSize)), message.Spam);
        }

        var rules = RulesSource.BuiltInOnly();
        var scanner = new SpamScanner(options, rules, null, null, null, null, TimeProvider.System, NullLogger.Instance, "mx.example.test", _ => false);
        var weights = model.Weights.ToDictionary(w => w.Key, w => w.Value.Weight);

        double Score(LabelledMessage message)
        {
            using var stream = new MemoryStream(message.Bytes, writable: false);
            var scan = scanner.CheckAsync(stream, null, CancellationToken.None).GetAwaiter().GetResult();
            // The classifier as SpamScanner runs it, on a second read of the content (as the scanner tokenizes it).
            stream.Position = 0;
            var buckets = LogisticModel.DistinctBuckets(Tokenizer.Features(MessageContent.Read(stream, options.MaxScanSize)));
            var p = LogisticModel.Predict(buckets, b => weights.TryGetValue(b, out var w) ? w : 0, model.Bias);
            return scan.Score + SpamScanner.ClassifierSymbol(new ClassifierVerdict(p, "", model.SpamLearned, model.HamLearned), rules.Current).Score;
        }

        // Warm-up, then the timed pass.
        foreach (var message in test.Take(200))
        {
            Score(message);
        }

        var scores = new double[test.Count];
        var watch = Stopwatch.StartNew();
        Parallel.For(0, test.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, i => scores[i] = Score(test[i]));
        watch.Stop();
        var results = test.Select((m, i) => (scores[i], m.Spam)).ToList();
        var (recall, threshold, fpr) = Metrics.RecallAtFpr(results, 0.005);
        var atFive = results.Count(r => r.Spam && r.Item1 >= 5.0) / (double)results.Count(r => r.Spam);
        var fpAtFive = results.Count(r => !r.Spam && r.Item1 >= 5.0) / (double)results.Count(r => !r.Spam);
        Console.WriteLine($"corpus: train {train.Count} ({train.Count(m => m.Spam)} spam), test {test.Count} ({test.Count(m => m.Spam)} spam), {threads} thread(s)");
        Console.WriteLine($"AUC {Metrics.Auc(results):F5}; recall {recall:P2} at FPR {fpr:P2} (score >= {threshold:F2}); at the default 5.0: recall {atFive:P2}, FPR {fpAtFive:P2}");
        Console.WriteLine($"scored {test.Count} in {watch.Elapsed.TotalSeconds:F2} s: {test.Count / watch.Elapsed.TotalSeconds:F0} msg/s (including the second tokenization of this harness)");
    }
}
