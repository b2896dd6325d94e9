using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MailAppliance.Bench.Smtp;

/// <summary>A <c>mailappliance serve</c> process started by the backlog verb; its stdout goes to a log file.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task _drain;

    private ServerProcess(Process process, Task drain)
    {
        _process = process;
        _drain = drain;
    }

    public int Pid => _process.Id;

    public static ServerProcess Start(string executable, string config, string logPath)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + executable);
        var drain = Task.Run(async () =>
        {
            await using var log = new StreamWriter(logPath, append: true);
            var stdout = CopyLinesAsync(process.StandardOutput, log);
            var stderr = CopyLinesAsync(process.StandardError, log);
            await Task.WhenAll(stdout, stderr);
        });
        return new ServerProcess(process, drain);
    }

    /// <summary>Waits until the SMTP port accepts a connection.</summary>
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

    /// <summary>SIGTERM, the appliance's orderly stop.</summary>
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
