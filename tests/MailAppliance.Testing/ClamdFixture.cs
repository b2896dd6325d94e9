using Xunit;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace MailAppliance.Testing;

/// <summary>
/// A real clamd (Debian's clamav-daemon) on a Unix socket of its own, with a signature database of its own: an MD5
/// signature of the EICAR test string (no signature download is possible here, nor needed).
/// </summary>
public sealed class ClamdFixture : IAsyncLifetime
{
    public const string Eicar = @"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    public const string SignatureName = "Test.EICAR-Own";

    private Process? _clamd;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("clamd-").FullName;

    public string SocketPath => Path.Combine(Directory, "clamd.sock");

    public async Task InitializeAsync()
    {
        var database = Path.Combine(Directory, "db");
        System.IO.Directory.CreateDirectory(database);
#pragma warning disable CA5351 // clamd's .hdb signatures are MD5 hashes by definition
        var md5 = Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes(Eicar)));
#pragma warning restore CA5351
        await File.WriteAllTextAsync(Path.Combine(database, "test.hdb"), $"{md5}:{Eicar.Length}:{SignatureName}\n");
        var config = Path.Combine(Directory, "clamd.conf");
        await File.WriteAllTextAsync(config, $"""
            Foreground yes
            LocalSocket {SocketPath}
            DatabaseDirectory {database}
            LogFile {Path.Combine(Directory, "clamd.log")}
            LogVerbose yes
            ScanMail yes
            User root
            StreamMaxLength 25M

            """);
        // stdbuf: clamd's stdout is a pipe here, which stdio would buffer past the line we wait for.
        var start = new ProcessStartInfo("stdbuf") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-oL");
        start.ArgumentList.Add("clamd");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(config);
        _clamd = Process.Start(start) ?? throw new InvalidOperationException("clamd did not start (scripts/install-deps.sh --test installs clamav-daemon)");
        _ = _clamd.StandardError.ReadToEndAsync();

        // clamd prints "Listening daemon" once its socket accepts scans.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (await _clamd.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Contains("Listening daemon", StringComparison.Ordinal))
            {
                _ = _clamd.StandardOutput.ReadToEndAsync();
                return;
            }
        }

        throw new InvalidOperationException($"clamd exited before listening: {await File.ReadAllTextAsync(Path.Combine(Directory, "clamd.log"))}");
    }

    public async Task DisposeAsync()
    {
        if (_clamd is { HasExited: false })
        {
            _clamd.Kill();
            await _clamd.WaitForExitAsync();
        }

        _clamd?.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
