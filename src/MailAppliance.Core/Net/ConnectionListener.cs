using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace MailAppliance.Core.Net;

/// <summary>
/// Accepts TCP connections on one or more addresses and runs a session per connection on its own task, within
/// <see cref="ConnectionLimits"/>. A failing session is reported and never stops the listener.
/// </summary>
/// <remarks>
/// The listener owns each <see cref="ClientConnection"/>: it disposes it when the handler (or the reject callback)
/// returns. Errors go to the error callback: a handler's exception (with the session id and address in the
/// message), accept failures, and failed implicit-TLS handshakes — those arrive as
/// <see cref="System.Security.Authentication.AuthenticationException"/>, <see cref="IOException"/> or
/// <see cref="TimeoutException"/> and are everyday noise from scanners, so the host should log them quietly.
/// </remarks>
public sealed class ConnectionListener : IAsyncDisposable
{
    private const int SolSocket = 1; // Linux <asm-generic/socket.h>
    private const int SoReuseAddr = 2;
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AcceptErrorBackoff = TimeSpan.FromMilliseconds(100);

    private readonly ConnectionListenerOptions _options;
    private readonly Func<ClientConnection, CancellationToken, Task> _handler;
    private readonly Func<ClientConnection, CancellationToken, Task>? _reject;
    private readonly Action<string, Exception> _onError;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly HashSet<ClientConnection> _open = [];
    private readonly List<Socket> _listenSockets = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly List<IPEndPoint> _bound = [];
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly CancellationTokenSource _stopSessions = new();
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sessions;
    private int _rejecting;
    private bool _started;
    private bool _stopping;

    /// <param name="handler">Runs one session; the token is cancelled when the listener stops.</param>
    /// <param name="reject">
    /// Gets connections over a limit, to say so (SMTP "421 4.7.0 Too many connections", IMAP "* BYE", POP3 "-ERR")
    /// within <see cref="ConnectionListenerOptions.RejectTimeout"/>; null: they are closed without a word.
    /// </param>
    /// <param name="onError">Receives what went wrong, with a message naming the listener and the session.</param>
    public ConnectionListener(
        ConnectionListenerOptions options,
        Func<ClientConnection, CancellationToken, Task> handler,
        Func<ClientConnection, CancellationToken, Task>? reject = null,
        Action<string, Exception>? onError = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Limits.MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Limits.MaxConnectionsPerAddress, 1);
        if (options.EndPoints.Count == 0)
        {
            throw new ArgumentException($"{options.Name}: no address to listen on", nameof(options));
        }

        _options = options;
        _handler = handler;
        _reject = reject;
        _onError = onError ?? ((_, _) => { });
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The addresses actually bound, with the ports the system chose for port 0.</summary>
    public IReadOnlyList<IPEndPoint> BoundEndPoints
    {
        get
        {
            lock (_lock)
            {
                return [.. _bound];
            }
        }
    }

    /// <summary>Sessions running now (rejected connections not counted).</summary>
    public int ConnectionCount => Volatile.Read(ref _sessions);

    /// <summary>
    /// Binds every address (SO_REUSEADDR) and starts accepting. If one cannot be bound, the others are released
    /// and an <see cref="InvalidOperationException"/> names it.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_started)
            {
                throw new InvalidOperationException($"{_options.Name}: already started");
            }

            _started = true;
        }

        try
        {
            foreach (var endPoint in _options.EndPoints)
            {
                var socket = Bind(endPoint);
                lock (_lock)
                {
                    _listenSockets.Add(socket);
                    _bound.Add((IPEndPoint)socket.LocalEndPoint!);
                }
            }
        }
        catch
        {
            lock (_lock)
            {
                foreach (var socket in _listenSockets)
                {
                    socket.Dispose();
                }

                _listenSockets.Clear();
                _bound.Clear();
            }

            throw;
        }

        lock (_lock)
        {
            foreach (var socket in _listenSockets)
            {
                _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(socket), CancellationToken.None));
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops accepting, cancels the sessions' token, waits up to <paramref name="drain"/> for the sessions to end
    /// (an SMTP session answers "421 4.3.2 shutting down"), then closes the connections still open.
    /// </summary>
    public async Task StopAsync(TimeSpan drain)
    {
        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
        }

        await _stopAccepting.CancelAsync().ConfigureAwait(false);
        foreach (var socket in _listenSockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        await _stopSessions.CancelAsync().ConfigureAwait(false);
        SignalIfAllClosed();
        try
        {
            await _allClosed.Task.WaitAsync(drain, _time).ConfigureAwait(false);
            return;
        }
        catch (TimeoutException)
        {
        }

        List<ClientConnection> left;
        lock (_lock)
        {
            left = [.. _open];
        }

        foreach (var connection in left)
        {
            connection.Abort();
        }

        try
        {
            await _allClosed.Task.WaitAsync(AbortGrace, _time).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            _onError($"{_options.Name}: sessions still running after their connections were closed", ex);
        }
    }

    /// <summary>Stops without a drain time. (The token sources are left to the collector: a session that outlived
    /// the abort grace may still look at its token.)</summary>
    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.Zero).ConfigureAwait(false);

    private Socket Bind(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // SO_REUSEADDR alone, so a restart can bind while old connections linger in TIME_WAIT. Not through
            // SocketOptionName.ReuseAddress: on Linux .NET sets SO_REUSEPORT with it, and then a second process
            // could bind the same port and silently take half the connections.
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // "[::]:143" alone serves IPv4 too; listed beside "0.0.0.0:143" it must not, or the two would collide.
                socket.DualMode = endPoint.Address.Equals(IPAddress.IPv6Any) && !_options.EndPoints.Any(other =>
                    other.AddressFamily == AddressFamily.InterNetwork && other.Port == endPoint.Port);
            }

            socket.Bind(endPoint);
            socket.Listen(_options.Backlog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new InvalidOperationException($"{_options.Name}: cannot listen on {endPoint}: {ex.Message}", ex);
        }
    }

    private async Task AcceptLoopAsync(Socket listenSocket)
    {
        var token = _stopAccepting.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listenSocket.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || token.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the client left before we got to it
            }
            catch (SocketException ex)
            {
                // Out of file descriptors or memory: say so, and give the system a moment instead of spinning.
                _onError($"{_options.Name}: accepting a connection failed", ex);
                try
                {
                    await Task.Delay(AcceptErrorBackoff, _time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            Dispatch(socket);
        }
    }

    private void Dispatch(Socket socket)
    {
        ClientConnection connection;
        try
        {
            socket.NoDelay = true;
            connection = new ClientConnection(socket, _options.Connection, _time);
        }
        catch (Exception ex)
        {
            // Usually a client that reset before we could look at it; whatever it is, the accept loop goes on.
            socket.Dispose();
            if (ex is not (SocketException or ObjectDisposedException))
            {
                _onError($"{_options.Name}: setting up an accepted connection failed", ex);
            }

            return;
        }

        var group = AddressGroup.Of(connection.RemoteEndPoint.Address);
        var limited = _options.Limits.LimitsAddress(connection.RemoteEndPoint.Address);
        bool admitted;
        lock (_lock)
        {
            _perAddress.TryGetValue(group, out var fromAddress);
            admitted = !_stopping && _sessions < _options.Limits.MaxConnections && (fromAddress < _options.Limits.MaxConnectionsPerAddress || !limited);
            if (admitted)
            {
                _sessions++;
                _perAddress[group] = fromAddress + 1;
                _open.Add(connection);
            }
            else if (!_stopping && _reject is not null && _rejecting < _options.MaxPendingRejects)
            {
                _rejecting++;
                _open.Add(connection);
            }
            else
            {
                connection.Abort();
                _ = connection.DisposeAsync().AsTask();
                return;
            }
        }

        _ = admitted
            ? Task.Run(() => RunSessionAsync(connection, group), CancellationToken.None)
            : Task.Run(() => RunRejectAsync(connection), CancellationToken.None);
    }

    private async Task RunSessionAsync(ClientConnection connection, IPAddress group)
    {
        var token = _stopSessions.Token;
        try
        {
            if (_options.ImplicitTls is { } tls && !await TryHandshakeAsync(connection, tls, token).ConfigureAwait(false))
            {
                return;
            }

            await _handler(connection, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping: the session gave up as asked.
        }
        catch (Exception ex)
        {
            _onError($"{_options.Name}: session {connection.SessionId} from {connection.RemoteEndPoint} failed", ex);
        }
        finally
        {
            await CloseAsync(connection).ConfigureAwait(false);
            lock (_lock)
            {
                _sessions--;
                var left = _perAddress[group] - 1;
                if (left == 0)
                {
                    _perAddress.Remove(group);
                }
                else
                {
                    _perAddress[group] = left;
                }

                _open.Remove(connection);
            }

            SignalIfAllClosed();
        }
    }

    private async Task RunRejectAsync(ClientConnection connection)
    {
        using var timeout = new CancellationTokenSource(_options.RejectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopSessions.Token);
        try
        {
            if (_options.ImplicitTls is null || await TryHandshakeAsync(connection, _options.ImplicitTls, linked.Token).ConfigureAwait(false))
            {
                await _reject!(connection, linked.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // A client that does not listen to its rejection is not our problem.
        }
        catch (Exception ex)
        {
            _onError($"{_options.Name}: rejecting {connection.SessionId} from {connection.RemoteEndPoint} failed", ex);
        }
        finally
        {
            await CloseAsync(connection).ConfigureAwait(false);
            lock (_lock)
            {
                _rejecting--;
                _open.Remove(connection);
            }

            SignalIfAllClosed();
        }
    }

    private async Task<bool> TryHandshakeAsync(ClientConnection connection, Func<SslServerAuthenticationOptions> tls, CancellationToken token)
    {
        try
        {
            await connection.UpgradeToTlsAsync(tls(), token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or TimeoutException or SocketException)
        {
            _onError($"{_options.Name}: TLS handshake with {connection.SessionId} from {connection.RemoteEndPoint} failed", ex);
            return false;
        }
    }

    /// <summary>Disposes without letting a failure skip the bookkeeping that follows.</summary>
    private async Task CloseAsync(ClientConnection connection)
    {
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _onError($"{_options.Name}: closing {connection.SessionId} from {connection.RemoteEndPoint} failed", ex);
        }
    }

    private void SignalIfAllClosed()
    {
        lock (_lock)
        {
            if (_stopping && _open.Count == 0)
            {
                _allClosed.TrySetResult();
            }
        }
    }
}
