using System.Diagnostics;

namespace MailAppliance.Pipeline.Tests.Sieve;

/// <summary>
/// Runs Debian's <c>sieve-test</c> (dovecot-sieve, installed by scripts/install-deps.sh --test) on a script and a
/// message. As root it runs as <c>nobody</c> (Dovecot refuses to run a mail process as root), on copies in a
/// directory that user can read.
/// </summary>
public static class SieveTestOracle
{
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    public static Outcome Run(string scriptPath, string messagePath, string from, string to)
    {
        var dir = Path.Combine(Path.GetTempPath(), "sieve-oracle-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var script = Path.Combine(dir, Path.GetFileName(scriptPath));
            var message = Path.Combine(dir, Path.GetFileName(messagePath));
            File.Copy(scriptPath, script);
            File.Copy(messagePath, message);
            File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
            File.SetUnixFileMode(script, (UnixFileMode)Convert.ToInt32("644", 8));
            File.SetUnixFileMode(message, (UnixFileMode)Convert.ToInt32("644", 8));
            var start = new ProcessStartInfo
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = dir,
            };
            var args = new List<string>();
            if (Environment.UserName == "root")
            {
                start.FileName = "runuser";
                args.AddRange(["-u", "nobody", "--", "env", "HOME=" + dir, "sieve-test"]);
            }
            else
            {
                start.FileName = "sieve-test";
            }

            args.AddRange(["-f", from, "-r", to, script, message]);
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("sieve-test did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return new Outcome(process.ExitCode, stdout.Result, stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
