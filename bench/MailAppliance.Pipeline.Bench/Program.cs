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

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
