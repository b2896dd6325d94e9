using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace MailAppliance.Testing;

/// <summary>
/// <c>mailappliance serve</c> as a real process, with a systemd-style notification socket the test listens on,
/// its stdout collected line by line, and real signals to stop it.
/// </summary>
public sealed partial class ServeProcess : IAsyncDisposable
{
    public const int SigInt = 2;
    public const int SigTerm = 15;

    private readonly Process _process;
    private readonly Socket _notify;
    private readonly string _notifyPath;
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    private ServeProcess(Process process, Socket notify, string notifyPath)
    {
        _process = process;
        _notify = notify;
        _notifyPath = notifyPath;
    }

    public int ProcessId => _process.Id;

    public IReadOnlyList<string> OutputLines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public static ServeProcess Start(string configFile, IDictionary<string, string>? environment = null)
    {
        var notifyPath = Path.Combine("/tmp", $"ma-notify-{Guid.NewGuid():N}.sock");
        var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var start = CliRunner.ProcessStart(["serve", "--config", configFile]);
        start.Environment["NOTIFY_SOCKET"] = notifyPath;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var serve = new ServeProcess(process, notify, notifyPath);
        process.OutputDataReceived += (_, e) => serve.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => serve.Collect(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return serve;
    }

    /// <summary>
    /// Waits for a notification datagram containing <paramref name="state"/> (e.g. READY=1); a process that exits
    /// first fails the wait at once (<see cref="ServeExitedException"/>) rather than after the whole time-out.
    /// </summary>
    public async Task<string> WaitForNotificationAsync(string state, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var exited = _process.WaitForExitAsync(cancel.Token);
        var buffer = new byte[4096];
        while (true)
        {
            int received;
            try
            {
                var receive = _notify.ReceiveAsync(buffer, SocketFlags.None, cancel.Token).AsTask();
                if (await Task.WhenAny(receive, exited) == exited && !receive.IsCompleted)
                {
                    await exited; // a time-out, or the exit
                    await cancel.CancelAsync();
                    await receive.ContinueWith(_ => { }, TaskScheduler.Default);
                    throw new ServeExitedException($"serve exited (code {_process.ExitCode}) before {state}; output:\n{string.Join('\n', OutputLines)}", OutputLines);
                }

                received = await receive;
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no {state} within {timeout}; output so far:\n{string.Join('\n', OutputLines)}");
            }

            var message = Encoding.UTF8.GetString(buffer, 0, received);
            if (message.Split('\n').Contains(state))
            {
                return message;
            }
        }
    }

    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal(SigTerm);
            try
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(60));
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        _notify.Dispose();
        File.Delete(_notifyPath);
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Add(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary><c>serve</c> ended before it said it was ready; <see cref="Output"/> is what it printed.</summary>
public sealed class ServeExitedException(string message, IReadOnlyList<string> output) : Exception(message)
{
    public IReadOnlyList<string> Output { get; } = output;
}
