using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>
/// sd_notify(3) written by hand: one datagram per state change to the Unix socket in <c>$NOTIFY_SOCKET</c>
/// (a leading <c>@</c> means the abstract namespace). Without the variable it does nothing.
/// </summary>
public sealed class SystemdNotifier
{
    private readonly string? _socketPath;
    private readonly ILogger<SystemdNotifier> _logger;

    public SystemdNotifier(string? socketPath, ILogger<SystemdNotifier> logger)
    {
        _socketPath = string.IsNullOrEmpty(socketPath) ? null : socketPath;
        _logger = logger;
    }

    public bool Enabled => _socketPath is not null;

    public void Notify(string state)
    {
        if (_socketPath is null)
        {
            return;
        }

        try
        {
            var path = _socketPath.StartsWith('@') ? "\0" + _socketPath[1..] : _socketPath;
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
        }
        catch (SocketException e)
        {
            _logger.LogWarning(e, "Could not notify systemd ({State})", state.ReplaceLineEndings(" "));
        }
    }
}

/// <summary>Tells systemd READY=1 once every hosted service has started, and STOPPING=1 when shutdown begins.</summary>
public sealed class SystemdLifecycleService : IHostedLifecycleService
{
    private readonly SystemdNotifier _notifier;

    public SystemdLifecycleService(SystemdNotifier notifier) => _notifier = notifier;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _notifier.Notify($"READY=1\nSTATUS=Serving\nMAINPID={Environment.ProcessId}");
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _notifier.Notify("STOPPING=1\nSTATUS=Stopping");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
