using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailAppliance.Bench.Pop3;

/// <summary>
/// A minimal POP3 client for the benchmark: one command at a time, as fetchmail and getmail send them, reading
/// replies through a 64 KiB buffer. Multi-line replies are consumed up to the terminating "." line and only
/// counted, with byte-stuffing undone so the count is comparable with LIST sizes.
/// </summary>
internal sealed class Pop3ClientConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private Pop3ClientConnection(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
    }

    /// <param name="pinned">With TLS: the certificate the appliance must present (its generated self-signed one).</param>
    public static async Task<Pop3ClientConnection> OpenAsync(int port, X509Certificate2? pinned, CancellationToken cancel)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancel);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        if (pinned is not null)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "mx.bench.test",
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetCertHashString() == pinned.GetCertHashString(),
            }, cancel);
            stream = ssl;
        }

        var connection = new Pop3ClientConnection(socket, stream);
        await connection.ExpectOkAsync(cancel);
        return connection;
    }

    /// <summary>Sends a command and returns its status line, failing on anything but +OK.</summary>
    public async Task<string> CommandAsync(string command, CancellationToken cancel)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cancel);
        return await ExpectOkAsync(cancel);
    }

    /// <summary>Sends a command with a multi-line answer; returns the octets of its lines after un-stuffing.</summary>
    public async Task<long> MultiLineAsync(string command, CancellationToken cancel)
    {
        await CommandAsync(command, cancel);
        long octets = 0;
        while (true)
        {
            var (offset, length) = await ReadLineAsync(cancel);
            var line = _buffer.AsSpan(offset, length);
            if (line.SequenceEqual("."u8))
            {
                return octets;
            }

            // RFC 1939 §3: a line starting with "." was stuffed with one more.
            octets += length + 2 - (line.Length > 0 && line[0] == (byte)'.' ? 1 : 0);
        }
    }

    /// <summary>The lines of a multi-line answer as text (for UIDL and LIST; small).</summary>
    public async Task<List<string>> ListingAsync(string command, CancellationToken cancel)
    {
        await CommandAsync(command, cancel);
        var lines = new List<string>();
        while (true)
        {
            var (offset, length) = await ReadLineAsync(cancel);
            var line = Encoding.ASCII.GetString(_buffer, offset, length);
            if (line == ".")
            {
                return lines;
            }

            lines.Add(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private async Task<string> ExpectOkAsync(CancellationToken cancel)
    {
        var (offset, length) = await ReadLineAsync(cancel);
        var line = Encoding.ASCII.GetString(_buffer, offset, length);
        return line.StartsWith("+OK", StringComparison.Ordinal) ? line : throw new InvalidOperationException("server said: " + line);
    }

    /// <summary>The next line without its CRLF, as a range of the buffer valid until the next read.</summary>
    private async Task<(int Offset, int Length)> ReadLineAsync(CancellationToken cancel)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var offset = _start;
                _start += newline + 1;
                var length = newline > 0 && _buffer[offset + newline - 1] == (byte)'\r' ? newline - 1 : newline;
                return (offset, length);
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                throw new InvalidOperationException("line longer than the buffer");
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancel);
            if (read == 0)
            {
                throw new EndOfStreamException("server closed the connection");
            }

            _end += read;
        }
    }
}
