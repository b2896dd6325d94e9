using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit;

namespace MailAppliance.Testing.Peers;

/// <summary>Debian's python3-dkim tools (dkimsign, dkimverify), asking the test's DNS server.</summary>
public static class DkimPeer
{
    public static async Task<(int Exit, string Output)> RunAsync(int dnsPort, byte[] stdin, params string[] arguments)
    {
        Assert.True(File.Exists("/usr/lib/python3/dist-packages/dkim/__init__.py"), "python3-dkim is missing: run scripts/install-deps.sh --test");
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Peers", "dkimpy_tool.py"));
        start.ArgumentList.Add(dnsPort.ToString(CultureInfo.InvariantCulture));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        await copy;
        return (process.ExitCode, Encoding.UTF8.GetString(output.ToArray()) + await error);
    }

    public static async Task<byte[]> SignAsync(int dnsPort, byte[] message, string selector, string domain, string keyFile, bool ed25519)
    {
        var arguments = new List<string> { "dkimsign", selector, domain, keyFile };
        if (ed25519)
        {
            arguments.AddRange(["--signalg", "ed25519-sha256"]);
        }

        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Peers", "dkimpy_tool.py"));
        start.ArgumentList.Add(dnsPort.ToString(CultureInfo.InvariantCulture));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(message);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        await copy;
        Assert.True(process.ExitCode == 0, $"dkimsign failed: {await error}");
        return output.ToArray();
    }
}
