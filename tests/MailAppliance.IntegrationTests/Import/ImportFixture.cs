using System.Diagnostics;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Import;

/// <summary>
/// The real appliance for the import tests, with helpers to run the peers that write the test data (uw-mailutils'
/// <c>mailutil</c>, Dovecot) as <c>nobody</c>: both refuse to work as root.
/// </summary>
public sealed class ImportFixture : ApplianceFixture
{
    protected override object AuthSettings => new { Pbkdf2Iterations = 1000, AllowPlaintextWithoutTls = true };

    /// <summary>A new user <paramref name="local"/>@example.test with password <c>pw</c>.</summary>
    public async Task<string> UserAsync(string local)
    {
        var result = await Cli.RunAsync($"user add {local}@example.test --password-stdin", "pw\n");
        Assert.True(result.ExitCode == 0, result.ToString());
        return $"{local}@example.test";
    }

    /// <summary>A scratch directory every user may write (the peers run as nobody).</summary>
    public string Scratch(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(Root, File.GetUnixFileMode(Root) | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        File.SetUnixFileMode(path, (UnixFileMode)0x1FF);
        return path;
    }

    /// <summary>Runs a program as nobody (as itself when the tests do not run as root), in <paramref name="home"/>.</summary>
    public static async Task<(int ExitCode, string Output)> AsNobodyAsync(string home, string program, params string[] arguments)
    {
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = home };
        if (asRoot)
        {
            foreach (var a in new[] { "-u", "nobody", "--", "env", $"HOME={home}", program })
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.Environment["HOME"] = home;
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>Makes every file under <paramref name="path"/> readable and writable by anyone (test data passed between users).</summary>
    public static void OpenUp(string path)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(path, "*", SearchOption.AllDirectories).Append(path))
        {
            File.SetUnixFileMode(entry, Directory.Exists(entry) ? (UnixFileMode)0x1FF : (UnixFileMode)0x1B6);
        }
    }
}

/// <summary>
/// Imported messages are new to the mailbox, so the first session to select it sees them \Recent (RFC 3501 §2.3.2,
/// as after Dovecot's doveadm import); tests of the imported flags compare without it.
/// </summary>
internal static class Recent
{
    public static string Strip(string text) =>
        text.Replace(" \\Recent", "", StringComparison.Ordinal).Replace("\\Recent ", "", StringComparison.Ordinal).Replace("(\\Recent)", "()", StringComparison.Ordinal);

    public static List<string> Strip(IEnumerable<string> lines) => lines.Select(Strip).ToList();
}
