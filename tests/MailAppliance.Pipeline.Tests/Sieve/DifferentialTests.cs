using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Pipeline.Sieve;

namespace MailAppliance.Pipeline.Tests.Sieve;

/// <summary>
/// Every script × message of Sieve/Differential gives the same actions as Pigeonhole's sieve-test (the same
/// "Performed actions" / "Implicit keep" report), the same failure for run-time errors, and for scripts that do
/// not compile the same line for the first error.
/// </summary>
public sealed class DifferentialTests
{
    private const string From = "alice@example.org";
    private const string To = "bob+lists@example.test";

    private static string Root => Path.Combine(AppContext.BaseDirectory, "Sieve", "Differential");

    public static TheoryData<string, string> Pairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var script in Directory.EnumerateFiles(Path.Combine(Root, "scripts"), "*.sieve").Order())
        {
            foreach (var message in Directory.EnumerateFiles(Path.Combine(Root, "messages"), "*.eml").Order())
            {
                data.Add(Path.GetFileName(script), Path.GetFileName(message));
            }
        }

        return data;
    }

    public static TheoryData<string> Errors() => new(Directory.EnumerateFiles(Path.Combine(Root, "errors"), "*.sieve").Order().Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Actions_agree_with_sieve_test(string script, string message)
    {
        var scriptPath = Path.Combine(Root, "scripts", script);
        var messagePath = Path.Combine(Root, "messages", message);
        var theirs = SieveTestOracle.Run(scriptPath, messagePath, From, To);

        var name = Path.GetFileNameWithoutExtension(script);
        var compiled = SieveCompiler.Compile(name, await File.ReadAllTextAsync(scriptPath));
        Assert.True(compiled.Succeeded, string.Join("\n", compiled.Diagnostics.Select(d => d.Format(name))) + "\n--- sieve-test:\n" + theirs.Stderr);
        var interpreter = new SieveInterpreter(TimeProvider.System);
        await using var stream = File.OpenRead(messagePath);
        var result = await interpreter.RunAsync(compiled.Script!,
            new SieveRunInput(new SieveEnvelope(From, To), stream, new SieveUserContext(0, To, [To])) { DryRun = true }, CancellationToken.None);

        if (theirs.ExitCode != 0)
        {
            Assert.True(result.Failed, $"sieve-test failed ({theirs.ExitCode}: {theirs.Stderr.Trim()}) but we did not:\n{SieveTestReport.Format(result)}");
            return;
        }

        Assert.False(result.Failed, string.Join("\n", result.Diagnostics.Select(d => d.Format(name))));
        Assert.Equal(theirs.Stdout, SieveTestReport.Format(result));
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task Compile_errors_are_on_the_line_sieve_test_names(string script)
    {
        var scriptPath = Path.Combine(Root, "errors", script);
        var theirs = SieveTestOracle.Run(scriptPath, Path.Combine(Root, "messages", "plain.eml"), From, To);
        var name = Path.GetFileNameWithoutExtension(script);
        var compiled = SieveCompiler.Compile(name, await File.ReadAllTextAsync(scriptPath));

        Assert.NotEqual(0, theirs.ExitCode);
        Assert.False(compiled.Succeeded);
        var theirLine = Regex.Match(theirs.Stderr, $@"^{Regex.Escape(name)}: line (\d+): error", RegexOptions.Multiline).Groups[1].Value;
        var ours = compiled.Errors.First().Format(name);
        Assert.StartsWith($"{name}: line {theirLine}: error: ", ours);
    }
}
