using BenchmarkDotNet.Running;

namespace MailAppliance.Pipeline.Bench;

/// <summary>Entry point: <c>dotnet run -c Release --project bench/MailAppliance.Pipeline.Bench -- --filter '*Srs*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
