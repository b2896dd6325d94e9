using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailAppliance.Bench.Smtp;

/// <summary>
/// One SMTP connection of the load client: a blocking socket, EHLO once, then per message MAIL/RCPT/DATA in one
/// pipelined write (RFC 2920: DATA ends the group), the body, "." and the final reply. The connection is reused:
/// after the final 250 the transaction is over and the next MAIL starts a new one (RFC 5321 §4.1.4).
/// Blocking calls on a thread of its own per connection, as smtp-source does with its select loop: the client shares
/// the two cores with the server it measures, and a blocked read costs nothing while an async one costs an epoll
/// wake-up and a hand-off to the thread pool for every reply.
/// </summary>
internal sealed class SmtpClientConnection : IDisposable
{
    private static readonly byte[] DataTerminator = ".\r\n"u8.ToArray();
    private const int SmallBody = 64 * 1024;

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[8192];
    private int _start;
    private int _end;
    private bool _announcesSize;

    private SmtpClientConnection(Socket socket) => _socket = socket;

    public static SmtpClientConnection Open(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        var connection = new SmtpClientConnection(socket);
        connection.Expect(220);
        connection.Write("EHLO bench-client.bench.test\r\n"u8);
        var ehlo = connection.Expect(250);
        if (!ehlo.Contains("PIPELINING", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("server does not announce PIPELINING: " + ehlo);
        }

        connection._announcesSize = ehlo.Contains("250-SIZE", StringComparison.OrdinalIgnoreCase)
            || ehlo.Contains("250 SIZE", StringComparison.OrdinalIgnoreCase);
        return connection;
    }

    /// <summary>Sends one message; returns the elapsed Stopwatch ticks from writing MAIL to reading the final 250.</summary>
    public long Send(string from, string to, byte[] dotStuffedBody)
    {
        var size = _announcesSize ? $" SIZE={dotStuffedBody.Length}" : "";
        var envelope = Encoding.ASCII.GetBytes($"MAIL FROM:<{from}>{size}\r\nRCPT TO:<{to}>\r\nDATA\r\n");
        var started = Stopwatch.GetTimestamp();
        Write(envelope);
        Expect(250);
        Expect(250);
        Expect(354);
        if (dotStuffedBody.Length <= SmallBody)
        {
            // Body and terminator in one write, as a lean client sends a small message: one segment, one read.
            var framed = new byte[dotStuffedBody.Length + DataTerminator.Length];
            dotStuffedBody.CopyTo(framed, 0);
            DataTerminator.CopyTo(framed, dotStuffedBody.Length);
            Write(framed);
        }
        else
        {
            Write(dotStuffedBody);
            Write(DataTerminator);
        }

        Expect(250);
        return Stopwatch.GetTimestamp() - started;
    }

    public void Dispose()
    {
        try
        {
            _socket.ReceiveTimeout = 2000;
            Write("QUIT\r\n"u8);
            Expect(221);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            // The connection is going away anyway; QUIT is a courtesy.
        }

        _socket.Dispose();
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[_socket.Send(bytes)..];
        }
    }

    /// <summary>Reads one (possibly multi-line) reply and checks its code; returns the reply text.</summary>
    private string Expect(int code)
    {
        var text = new StringBuilder();
        while (true)
        {
            var line = ReadLine();
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

    private string ReadLine()
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

            var read = _socket.Receive(_buffer.AsSpan(_end));
            if (read == 0)
            {
                throw new IOException("connection closed by the server");
            }

            _end += read;
        }
    }
}
