using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Client;

/// <summary>A remote server sent bytes that are not an SMTP reply, or did something SMTP forbids.</summary>
public sealed class SmtpProtocolException(string message) : Exception(message);

/// <summary>
/// The socket under one outbound session: replies read through the sans-I/O <see cref="ServerReplyParser"/>,
/// writes with a time-out each, and the STARTTLS upgrade. Failures are exceptions here (<see cref="SocketException"/>,
/// <see cref="IOException"/>, <see cref="TimeoutException"/>, <see cref="SmtpProtocolException"/>); the session
/// turns them into values.
/// </summary>
internal sealed class SmtpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _network;
    private readonly ServerReplyParser _parser;
    private readonly TimeProvider _time;
    private Stream _stream;
    private PipeReader _input;
    private int _disposed;

    private SmtpConnection(Socket socket, ServerReplyParser parser, TimeProvider time)
    {
        _socket = socket;
        _parser = parser;
        _time = time;
        _network = new NetworkStream(socket, ownsSocket: true);
        _stream = _network;
        _input = PipeReader.Create(_network, new StreamPipeReaderOptions(leaveOpen: true));
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint RemoteEndPoint { get; }

    public IPEndPoint LocalEndPoint { get; }

    public SslStream? Tls => _stream as SslStream;

    /// <summary>Connects within <paramref name="timeout"/> (IPv4 or IPv6, as the address is).</summary>
    public static async Task<SmtpConnection> ConnectAsync(IPEndPoint endPoint, TimeSpan timeout, ServerReplyParser parser, TimeProvider time, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var deadline = Deadline(time, timeout, cancellationToken);
            try
            {
                await socket.ConnectAsync(endPoint, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"connect to {endPoint}: timed out after {timeout.TotalSeconds:0} s");
            }

            return new SmtpConnection(socket, parser, time);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads one whole reply, waiting at most <paramref name="timeout"/>.</summary>
    public async Task<ServerReply> ReadReplyAsync(TimeSpan timeout, string waitingFor, CancellationToken cancellationToken)
    {
        using var deadline = Deadline(_time, timeout, cancellationToken);
        try
        {
            while (true)
            {
                var read = await _input.ReadAsync(deadline.Token);
                var buffer = read.Buffer;
                var status = _parser.TryParse(ref buffer, out var reply);
                switch (status)
                {
                    case ReplyParseStatus.Complete:
                        _input.AdvanceTo(buffer.Start);
                        return reply!;
                    case ReplyParseStatus.Invalid:
                        _input.AdvanceTo(buffer.Start);
                        throw new SmtpProtocolException($"malformed or oversized reply {waitingFor}");
                    default:
                        if (read.IsCompleted)
                        {
                            _input.AdvanceTo(buffer.Start, buffer.End);
                            throw new IOException($"lost connection {waitingFor}");
                        }

                        _input.AdvanceTo(buffer.Start, buffer.End);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"conversation timed out {waitingFor}");
        }
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        using var deadline = Deadline(_time, timeout, cancellationToken);
        try
        {
            await _stream.WriteAsync(bytes, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"conversation timed out {what}");
        }
    }

    /// <summary>
    /// Replaces the plaintext streams with TLS after the server's 220 to STARTTLS. RFC 3207 §4.2: nothing the server
    /// sent before the handshake may be used after it; a server that sent more than the 220 is refused (it would be
    /// the CVE-2011-0411 response injection, seen from the client's side).
    /// </summary>
    public async Task<SslStream> StartTlsAsync(SslClientAuthenticationOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_input.TryRead(out var pending))
        {
            var extra = pending.Buffer.Length;
            _input.AdvanceTo(pending.Buffer.Start);
            if (extra > 0)
            {
                throw new SmtpProtocolException("the server sent data after its reply to STARTTLS");
            }
        }

        await _input.CompleteAsync();
        var tls = new SslStream(_network, leaveInnerStreamOpen: true);
        _stream = tls;
        _input = PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true));
        using var deadline = Deadline(_time, timeout, cancellationToken);
        try
        {
            await tls.AuthenticateAsClientAsync(options, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"TLS handshake timed out after {timeout.TotalSeconds:0} s");
        }

        return tls;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _input.CompleteAsync();
        if (_stream is SslStream tls)
        {
            await tls.DisposeAsync();
        }

        await _network.DisposeAsync();
    }

    private static OperationDeadline Deadline(TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken) =>
        new(time, timeout, cancellationToken);

    /// <summary>The caller's token joined with a time-out on the injected clock (tests advance time instead of waiting).</summary>
    private sealed class OperationDeadline : IDisposable
    {
        private readonly CancellationTokenSource _timeout;
        private readonly CancellationTokenSource _linked;

        public OperationDeadline(TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken)
        {
            _timeout = new CancellationTokenSource(timeout, time);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timeout.Token);
        }

        public CancellationToken Token => _linked.Token;

        public void Dispose()
        {
            _linked.Dispose();
            _timeout.Dispose();
        }
    }
}
