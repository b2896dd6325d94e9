using BenchmarkDotNet.Running;

namespace MailAppliance.Pipeline.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/MailAppliance.Pipeline.Bench -- --filter '*Srs*'</c> (BenchmarkDotNet),
/// or <c>-- classifiers CORPUS-DIR</c> (the classifier candidates on the labelled corpus).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["classifiers", var directory])
        {
            ClassifierEvaluation.Run(directory);
            return;
        }

        if (args is ["split", var source, var output])
        {
            // The same train/test split as the corpus mode, as file lists for another scorer (bench/spam/rspamd-compare.sh).
            var (train, test) = Corpus.Load(source);
            Directory.CreateDirectory(output);
            File.WriteAllLines(Path.Combine(output, "train-spam.txt"), train.Where(m => m.Spam).Select(m => m.Path));
            File.WriteAllLines(Path.Combine(output, "train-ham.txt"), train.Where(m => !m.Spam).Select(m => m.Path));
            File.WriteAllLines(Path.Combine(output, "test.txt"), test.Select(m => (m.Spam ? "spam " : "ham ") + m.Path));
            return;
        }

        if (args is ["corpus", var corpus, ..])
        {
            CorpusBenchmark.Run(corpus, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
