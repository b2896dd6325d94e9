using System.Diagnostics;
using MailAppliance.Pipeline.Scoring;
using MailAppliance.Pipeline.Scoring.Classifier;

namespace MailAppliance.Pipeline.Bench;

/// <summary>
/// <c>classifiers CORPUS-DIR</c>: both classifier candidates trained online on the train half and measured on the
/// test half, alone (no rules), so the better one can be kept.
/// </summary>
internal static class ClassifierEvaluation
{
    public static void Run(string directory)
    {
        var (train, test) = Corpus.Load(directory);
        Console.WriteLine($"corpus: {train.Count} train ({train.Count(m => m.Spam)} spam), {test.Count} test ({test.Count(m => m.Spam)} spam)");
        var watch = Stopwatch.StartNew();
        var trainFeatures = train.Select(m => (Features(m.Bytes), m.Spam)).ToList();
        var testFeatures = test.Select(m => (Features(m.Bytes), m.Spam)).ToList();
        Console.WriteLine($"features: {watch.Elapsed.TotalSeconds:F1} s for {train.Count + test.Count} messages, {trainFeatures.Average(f => f.Item1.Length):F0} per message");

        foreach (var (name, model) in new (string, IClassifierModel)[] { ("bayes-osb", new BayesModel()), ("logistic", new LogisticModel()) })
        {
            watch.Restart();
            foreach (var (features, spam) in trainFeatures)
            {
                model.Learn(features, spam);
            }

            var learn = watch.Elapsed;
            watch.Restart();
            var results = testFeatures.Select(t => (model.SpamProbability(t.Item1) ?? 0.5, t.Spam)).ToList();
            var classify = watch.Elapsed;
            var (recall, threshold, fpr) = Metrics.RecallAtFpr(results, 0.005);
            Console.WriteLine($"{name,-10} AUC {Metrics.Auc(results):F5}  recall {recall:P2} at FPR {fpr:P2} (p >= {threshold:G4})  learn {learn.TotalMilliseconds / train.Count * 1000:F0} us/msg  classify {classify.TotalMilliseconds / test.Count * 1000:F0} us/msg");
        }
    }

    private static ulong[] Features(byte[] message)
    {
        using var stream = new MemoryStream(message, writable: false);
        return Tokenizer.Features(MessageContent.Read(stream, 2 * 1024 * 1024));
    }
}
