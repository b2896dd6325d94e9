using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MailAppliance.Bench;

/// <summary>
/// The appliance's executable for the load tools (linked into each): admin verbs run to completion, and a
/// <c>serve</c> process whose output goes to a log file. <c>await using</c> stops it with SIGTERM; <c>using</c> only
/// releases the handle (after <see cref="KillAsync"/> or <see cref="TerminateAsync"/>).
/// </summary>
internal sealed class ServerProcess : IDisposable, IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _drain;

    private ServerProcess(Process process, Task drain)
    {
        _process = process;
        _drain = drain;
    }

    public int Pid => _process.Id;

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

    /// <summary>Starts <c>serve</c> with its output appended to <paramref name="logPath"/>.</summary>
    public static ServerProcess Start(string executable, string config, string logPath)
    {
        var process = Process.Start(Info(executable, config, ["serve"])) ?? throw new InvalidOperationException("could not start " + executable);
        process.StandardInput.Close();
        var drain = Task.Run(async () =>
        {
            await using var log = new StreamWriter(logPath, append: true);
            var stdout = CopyLinesAsync(process.StandardOutput, log);
            var stderr = CopyLinesAsync(process.StandardError, log);
            await Task.WhenAll(stdout, stderr);
        });
        return new ServerProcess(process, drain);
    }

    /// <summary><see cref="Start"/>, then ready once <paramref name="port"/> accepts (at most two minutes).</summary>
    public static async Task<ServerProcess> StartAsync(string executable, string config, string logPath, int port)
    {
        var server = Start(executable, config, logPath);
        await server.WaitReadyAsync(port, TimeSpan.FromMinutes(2));
        return server;
    }

    /// <summary>Waits until <paramref name="port"/> accepts a connection.</summary>
    public async Task WaitReadyAsync(int port, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"serve exited with {_process.ExitCode} before listening");
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }

        throw new TimeoutException("serve did not listen within " + timeout);
    }

    /// <summary>SIGKILL: no shutdown path runs, whatever is queued stays in the spool.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
        await _drain;
    }

    /// <summary>SIGTERM, the appliance's orderly stop; SIGKILL if it takes longer than <paramref name="timeout"/>.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            return;
        }

        await _drain;
    }

    public void Dispose() => _process.Dispose();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await TerminateAsync(TimeSpan.FromSeconds(30));
        }

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

    private static async Task CopyLinesAsync(StreamReader from, StreamWriter to)
    {
        while (await from.ReadLineAsync() is { } line)
        {
            lock (to)
            {
                to.WriteLine(line);
            }
        }
    }
}
