using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using MailAppliance.Core.Tls;

namespace MailAppliance.Core.Net;

/// <summary>
/// One accepted TCP connection, as pipes: <see cref="Input"/> and <see cref="Output"/> over the socket, and after
/// <see cref="UpgradeToTlsAsync"/> over TLS. The session owns reading and writing; one reader and one writer at a
/// time, as pipes require.
/// </summary>
public sealed class ClientConnection : IAsyncDisposable
{
    private const string SessionIdAlphabet = "abcdefghijklmnopqrstuvwxyz234567"; // RFC 4648 §6, lower case
    private readonly Socket _socket;
    private readonly NetworkStream _network;
    private readonly ClientConnectionOptions _options;
    private readonly TimeProvider _time;
    private TrackingPipeReader _input;
    private SslStream? _tls;
    private DeflateDuplexStream? _compressed;
    private int _disposed;

    /// <summary>Takes ownership of a connected socket.</summary>
    public ClientConnection(Socket socket, ClientConnectionOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _options = options ?? ClientConnectionOptions.Default;
        _time = timeProvider ?? TimeProvider.System;
        SessionId = NewSessionId();
        RemoteEndPoint = Unmap(socket.RemoteEndPoint as IPEndPoint ?? throw new ArgumentException("the socket is not a connected IP socket", nameof(socket)));
        LocalEndPoint = Unmap(socket.LocalEndPoint as IPEndPoint ?? throw new ArgumentException("the socket is not a connected IP socket", nameof(socket)));
        _network = new NetworkStream(socket, ownsSocket: true);
        _input = CreateInput(_network);
        Output = CreateOutput(_network);
    }

    /// <summary>12 characters of base32 (60 random bits), for logs: every log event of the session carries it.</summary>
    public string SessionId { get; }

    /// <summary>The client's address; an IPv4 client on a dual-stack socket appears as IPv4, not ::ffff:a.b.c.d.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    public IPEndPoint LocalEndPoint { get; }

    public PipeReader Input => _input;

    public PipeWriter Output { get; private set; }

    public bool IsTls => _tls is not null;

    /// <summary>Whether <see cref="StartCompressionAsync"/> turned compression on.</summary>
    public bool IsCompressed => _compressed is not null;

    /// <summary>The negotiated protocol and cipher suite once TLS is up, for logs and the Received header.</summary>
    public TlsSessionInfo? TlsInfo { get; private set; }

    /// <summary>
    /// True when the client sent octets that the session has read from <see cref="Input"/> but not consumed. Before
    /// STARTTLS/STLS this means the client pipelined plaintext after the command; <see cref="UpgradeToTlsAsync"/>
    /// discards it (see there). A session may log it or, for SMTP, count it as a protocol violation.
    /// </summary>
    public bool HasBufferedInput => _input.Unconsumed > 0;

    /// <summary>
    /// Starts TLS as the server: for implicit TLS right after accept, or after the reply that invites the
    /// handshake (SMTP "220 2.0.0 Ready to start TLS", IMAP "OK Begin TLS negotiation now", POP3 "+OK Begin TLS
    /// negotiation"). Pending output is flushed first, in plaintext.
    /// </summary>
    /// <remarks>
    /// Any plaintext the client sent after the STARTTLS command that is still in <see cref="Input"/> is dropped and
    /// never read as a command of the encrypted session (RFC 3207 §4.2 and RFC 2595 §3.1: nothing from before the
    /// handshake may be trusted after it; this is the CVE-2011-0411 command injection). After the call, read from
    /// the new <see cref="Input"/> and write to the new <see cref="Output"/> (the old pipes are completed).
    /// A handshake that fails throws (<see cref="System.Security.Authentication.AuthenticationException"/>,
    /// <see cref="IOException"/>, or <see cref="TimeoutException"/> after
    /// <see cref="ClientConnectionOptions.HandshakeTimeout"/>); the connection is then unusable: dispose it.
    /// </remarks>
    public async Task UpgradeToTlsAsync(SslServerAuthenticationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_tls is not null)
        {
            throw new InvalidOperationException("TLS is already active on this connection");
        }

        await Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        await Output.CompleteAsync().ConfigureAwait(false);
        DiscardedPlaintextOctets = _input.Unconsumed;
        await _input.CompleteAsync().ConfigureAwait(false); // drops whatever the client pipelined in plaintext

        var tls = new SslStream(_network, leaveInnerStreamOpen: true);
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await tls.AuthenticateAsServerAsync(options, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"the TLS handshake did not finish within {_options.HandshakeTimeout.TotalSeconds:0.#} s", ex);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _tls = tls;
        TlsInfo = new TlsSessionInfo(tls.SslProtocol, tls.NegotiatedCipherSuite, string.IsNullOrEmpty(tls.TargetHostName) ? null : tls.TargetHostName);
        _input = CreateInput(tls);
        Output = CreateOutput(tls);
    }

    /// <summary>
    /// Compresses both directions from now on with raw DEFLATE (RFC 1951), as IMAP COMPRESS=DEFLATE (RFC 4978) asks:
    /// call it right after the reply that accepts compression has been written; that reply goes out uncompressed.
    /// Every flush of <see cref="Output"/> is a DEFLATE sync flush, so replies are never held back. Over TLS the
    /// compressed bytes are encrypted (compression below TLS, as RFC 4978 §4 requires).
    /// </summary>
    public async Task StartCompressionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_compressed is not null)
        {
            throw new InvalidOperationException("compression is already active on this connection");
        }

        await Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        await Output.CompleteAsync().ConfigureAwait(false);
        // The client sends compressed data only after our reply (RFC 4978 §3), so nothing buffered is lost here.
        await _input.CompleteAsync().ConfigureAwait(false);
        _compressed = new DeflateDuplexStream(_tls is null ? _network : _tls);
        _input = CreateInput(_compressed);
        Output = CreateOutput(_compressed);
    }

    /// <summary>
    /// Blocks the calling thread until the client has sent something or <see cref="ClientConnectionOptions.InputWait"/>
    /// is over (never over TLS or compression, whose buffers the socket cannot see). Called right before an
    /// asynchronous read that would otherwise wait: if input comes meanwhile, that read completes at once on this thread.
    /// </summary>
    public void WaitBrieflyForInput()
    {
        if (_options.InputWait <= TimeSpan.Zero || _tls is not null || _compressed is not null || _disposed != 0)
        {
            return;
        }

        try
        {
            _socket.Poll(_options.InputWait, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The read that follows reports it.
        }
    }

    /// <summary>How many pipelined plaintext octets the last TLS upgrade threw away (for the session's log).</summary>
    public long DiscardedPlaintextOctets { get; private set; }

    /// <summary>
    /// Closes the socket at once, without flushing, from any thread: pending reads and writes of the session end
    /// with an error. Used when a listener's drain time is over; the owner still disposes the connection.
    /// </summary>
    public void Abort()
    {
        try
        {
            _socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Flushes what the session left in <see cref="Output"/> (best effort) and closes TLS and the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await Output.CompleteAsync().AsTask().WaitAsync(_options.CloseTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abort(); // the client stopped reading; the pending write fails and is forgotten
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
            // The peer is gone; nothing left to tell it.
        }

        try
        {
            await _input.CompleteAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
        }

        if (_compressed is not null)
        {
            try
            {
                await _compressed.DisposeAsync().ConfigureAwait(false); // writes the final DEFLATE block
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
            {
                // The peer is gone.
            }
        }

        if (_tls is not null)
        {
            await _tls.DisposeAsync().ConfigureAwait(false);
        }

        await _network.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }

    public override string ToString() => $"{SessionId} {RemoteEndPoint}";

    private TrackingPipeReader CreateInput(Stream stream) =>
        new(PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: _options.ReadBufferSize, minimumReadSize: Math.Min(1024, _options.ReadBufferSize), leaveOpen: true)));

    private PipeWriter CreateOutput(Stream stream) => PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: _options.WriteBufferSize, leaveOpen: true));

    private static IPEndPoint Unmap(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private static string NewSessionId()
    {
        Span<byte> random = stackalloc byte[8];
        RandomNumberGenerator.Fill(random);
        var bits = BitConverter.ToUInt64(random);
        return string.Create(12, bits, static (chars, value) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = SessionIdAlphabet[(int)(value & 31)];
                value >>= 5;
            }
        });
    }
}
