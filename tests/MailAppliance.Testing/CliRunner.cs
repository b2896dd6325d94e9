using System.Diagnostics;
using System.Text.Json;
using MailAppliance.Cli;

namespace MailAppliance.Testing;

/// <summary>Runs <c>mailappliance</c> commands: in-process (fast, same code path as Main) or as a real process.</summary>
public sealed class CliRunner
{
    public CliRunner(string configFile) => ConfigFile = configFile;

    public string ConfigFile { get; }

    /// <summary>Writes a config file in <paramref name="directory"/> with the given settings (a nested anonymous object).</summary>
    public static CliRunner WithConfig(string directory, object settings)
    {
        var file = Path.Combine(directory, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(settings));
        return new CliRunner(file);
    }

    public async Task<CliResult> RunAsync(string arguments, string? stdin = null) =>
        await RunAsync(Split(arguments), stdin);

    public async Task<CliResult> RunAsync(string[] arguments, string? stdin = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await CliApp.RunAsync(["--config", ConfigFile, .. arguments], new StringReader(stdin ?? ""), output, error, CancellationToken.None);
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    /// <summary>The published-style entry point run as its own process (<c>dotnet mailappliance.dll ...</c>).</summary>
    public static ProcessStartInfo ProcessStart(IEnumerable<string> arguments, string? asUser = null)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo
        {
            FileName = asUser is null ? dotnet : "runuser",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asUser is not null)
        {
            foreach (var a in new[] { "-u", asUser, "--", dotnet })
            {
                start.ArgumentList.Add(a);
            }
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mailappliance.dll"));
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        return start;
    }

    public static async Task<CliResult> RunProcessAsync(IEnumerable<string> arguments, string? stdin = null, string? asUser = null, IDictionary<string, string>? environment = null)
    {
        var start = ProcessStart(arguments, asUser);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(stdin ?? "");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private static string[] Split(string arguments) => arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}; stdout: {Output.Trim()}; stderr: {Error.Trim()}";
}
