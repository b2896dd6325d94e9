using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MailAppliance.Bench.Pop3;

/// <summary>The appliance's executable: admin verbs run to completion, and one <c>serve</c> process.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _drain;

    private ServerProcess(Process process, Task drain)
    {
        _process = process;
        _drain = drain;
    }

    /// <summary>Runs an admin verb (<c>user add</c>, <c>reconstruct</c>) and fails unless it exits 0.</summary>
    public static async Task RunVerbAsync(string executable, string config, string stdin, params string[] arguments)
    {
        using var process = Process.Start(Info(executable, config, arguments))!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', arguments)}: exit {process.ExitCode}: {await output}{await error}");
        }
    }

    /// <summary><c>serve</c> with its output in <paramref name="logPath"/>; ready once <paramref name="port"/> accepts.</summary>
    public static async Task<ServerProcess> StartAsync(string executable, string config, string logPath, int port)
    {
        var process = Process.Start(Info(executable, config, ["serve"]))!;
        process.StandardInput.Close();
        var drain = Task.Run(async () =>
        {
            await using var log = new StreamWriter(logPath, append: true);
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await log.WriteAsync(await stdout);
            await log.WriteAsync(await stderr);
        });
        var server = new ServerProcess(process, drain);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"serve exited with {process.ExitCode}; see {logPath}");
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                return server;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>SIGTERM, the appliance's orderly stop.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }

        await _drain;
        _process.Dispose();
    }

    private static ProcessStartInfo Info(string executable, string config, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        return info;
    }
}
