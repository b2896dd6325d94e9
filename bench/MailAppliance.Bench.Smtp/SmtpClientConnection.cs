using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailAppliance.Bench.Smtp;

/// <summary>
/// One SMTP connection of the load client: raw socket, EHLO once, then per message MAIL/RCPT/DATA in one
/// pipelined write (RFC 2920: DATA ends the group), the body, "." and the final reply. The connection is reused:
/// after the final 250 the transaction is over and the next MAIL starts a new one (RFC 5321 §4.1.4).
/// </summary>
internal sealed class SmtpClientConnection : IAsyncDisposable
{
    private static readonly byte[] DataTerminator = ".\r\n"u8.ToArray();
    private const int SmallBody = 64 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[8192];
    private int _start;
    private int _end;
    private bool _announcesSize;

    private SmtpClientConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<SmtpClientConnection> OpenAsync(int port, CancellationToken cancel)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancel);
        var connection = new SmtpClientConnection(socket);
        await connection.ExpectAsync(220, cancel);
        await connection.WriteAsync("EHLO bench-client.bench.test\r\n"u8.ToArray(), cancel);
        var ehlo = await connection.ExpectAsync(250, cancel);
        if (!ehlo.Contains("PIPELINING", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("server does not announce PIPELINING: " + ehlo);
        }

        connection._announcesSize = ehlo.Contains("250-SIZE", StringComparison.OrdinalIgnoreCase)
            || ehlo.Contains("250 SIZE", StringComparison.OrdinalIgnoreCase);
        return connection;
    }

    /// <summary>Sends one message; returns the elapsed Stopwatch ticks from writing MAIL to reading the final 250.</summary>
    public async Task<long> SendAsync(string from, string to, byte[] dotStuffedBody, CancellationToken cancel)
    {
        var size = _announcesSize ? $" SIZE={dotStuffedBody.Length}" : "";
        var envelope = Encoding.ASCII.GetBytes($"MAIL FROM:<{from}>{size}\r\nRCPT TO:<{to}>\r\nDATA\r\n");
        var started = Stopwatch.GetTimestamp();
        await WriteAsync(envelope, cancel);
        await ExpectAsync(250, cancel);
        await ExpectAsync(250, cancel);
        await ExpectAsync(354, cancel);
        if (dotStuffedBody.Length <= SmallBody)
        {
            // Body and terminator in one write, as a lean client sends a small message: one segment, one read.
            var framed = new byte[dotStuffedBody.Length + DataTerminator.Length];
            dotStuffedBody.CopyTo(framed, 0);
            DataTerminator.CopyTo(framed, dotStuffedBody.Length);
            await WriteAsync(framed, cancel);
        }
        else
        {
            await _stream.WriteAsync(dotStuffedBody, cancel);
            await WriteAsync(DataTerminator, cancel);
        }

        await ExpectAsync(250, cancel);
        return Stopwatch.GetTimestamp() - started;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var quitTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await WriteAsync("QUIT\r\n"u8.ToArray(), quitTimeout.Token);
            await ExpectAsync(221, quitTimeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is going away anyway; QUIT is a courtesy.
        }

        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private ValueTask WriteAsync(byte[] bytes, CancellationToken cancel) => _stream.WriteAsync(bytes, cancel);

    /// <summary>Reads one (possibly multi-line) reply and checks its code; returns the reply text.</summary>
    private async Task<string> ExpectAsync(int code, CancellationToken cancel)
    {
        var text = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync(cancel);
            text.Append(line).Append('\n');
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var got))
            {
                throw new InvalidOperationException("malformed reply: " + line);
            }

            if (line.Length > 3 && line[3] == '-')
            {
                continue;
            }

            if (got != code)
            {
                throw new InvalidOperationException($"expected {code}, got: {text.ToString().TrimEnd()}");
            }

            return text.ToString();
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancel)
    {
        while (true)
        {
            var lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (lf >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffer, _start, lf - _start).TrimEnd('\r');
                _start = lf + 1;
                return line;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                throw new InvalidOperationException("reply line longer than the read buffer");
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancel);
            if (read == 0)
            {
                throw new IOException("connection closed by the server");
            }

            _end += read;
        }
    }
}
