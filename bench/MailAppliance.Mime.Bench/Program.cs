using BenchmarkDotNet.Running;

namespace MailAppliance.Mime.Bench;

/// <summary>Entry point: <c>dotnet run -c Release --project bench/MailAppliance.Mime.Bench -- --filter '*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--sizes")
        {
            Console.WriteLine($"1KiB={SampleMessages.Small.Length} 100KiB={SampleMessages.Medium.Length} 10MiB={SampleMessages.Large.Length} 50parts={SampleMessages.FiftyParts.Length}");
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
