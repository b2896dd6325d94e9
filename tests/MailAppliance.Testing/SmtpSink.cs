using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace MailAppliance.Testing;

/// <summary>One message a sink received, byte-exact as the client meant it (dots unstuffed, BDAT chunks joined).</summary>
/// <param name="MailFrom">The MAIL command line as sent.</param>
/// <param name="RcptTo">The RCPT lines the sink accepted, as sent.</param>
/// <param name="Tls">The TLS protocol of the connection, or null for plaintext.</param>
public sealed record SinkMessage(int Connection, string MailFrom, IReadOnlyList<string> RcptTo, byte[] Content, bool Bdat, SslProtocols? Tls, string? AuthenticatedUser)
{
    public string Text => Encoding.UTF8.GetString(Content);
}

/// <summary>How a sink behaves. Every reply is a whole line without CRLF (multi-line replies with "\r\n" inside).</summary>
public sealed record SmtpSinkOptions
{
    public string HostName { get; init; } = "sink.example.test";

    public string Greeting { get; init; } = "220 sink.example.test ESMTP test sink";

    /// <summary>EHLO keywords offered (STARTTLS is added when a certificate is set, unless <see cref="OfferStartTls"/> is false).</summary>
    public IReadOnlyList<string> Keywords { get; init; } = ["PIPELINING", "SIZE 10485760", "8BITMIME", "SMTPUTF8", "CHUNKING", "DSN", "ENHANCEDSTATUSCODES"];

    /// <summary>Null: refuse EHLO with 502 (a HELO-only server).</summary>
    public bool SupportsEhlo { get; init; } = true;

    public SslStreamCertificateContext? Certificate { get; init; }

    public bool OfferStartTls { get; init; } = true;

    /// <summary>Answer STARTTLS with 220 and then send bytes that are not TLS (a broken TLS stack or a middlebox).</summary>
    public bool BreakTlsHandshake { get; init; }

    /// <summary>Keywords offered only after STARTTLS (AUTH on a smarthost, say).</summary>
    public IReadOnlyList<string> KeywordsAfterTls { get; init; } = [];

    /// <summary>Users and passwords for AUTH PLAIN and LOGIN.</summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The reply to a command, by its verb and argument (the RCPT address is the argument's path without brackets);
    /// null keeps the default. "CLOSE" closes the connection without a reply. The verb "." is the end of the data.
    /// </summary>
    public Func<string, string, string?>? Reply { get; init; }

    /// <summary>Awaited before each reply (a test holds a reply back with a gate; never a sleep).</summary>
    public Func<string, Task>? BeforeReply { get; init; }
}

/// <summary>
/// A scriptable SMTP server on loopback for client tests: records every transaction byte-exact, every command line
/// and which commands arrived in one read (pipelining), offers configurable EHLO keywords and replies, STARTTLS
/// with a test certificate, AUTH, BDAT.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ConcurrentQueue<SinkMessage> _messages = new();
    private readonly ConcurrentQueue<string> _commands = new();
    private readonly ConcurrentQueue<IReadOnlyList<string>> _reads = new();
    private readonly List<Task> _sessions = [];
    private readonly SemaphoreSlim _arrivals = new(0);
    private int _connections;

    private SmtpSink(SmtpSinkOptions options, IPAddress address, int port)
    {
        Options = options;
        _listener = new TcpListener(address, port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public SmtpSinkOptions Options { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IPAddress Address => ((IPEndPoint)_listener.LocalEndpoint).Address;

    public IReadOnlyList<SinkMessage> Messages => [.. _messages];

    /// <summary>Every command line received, in order (AUTH payloads included).</summary>
    public IReadOnlyList<string> Commands => [.. _commands];

    /// <summary>The command lines of each network read: several in one read means the client pipelined them.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Reads => [.. _reads];

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Listens on <paramref name="address"/> (127.0.0.1 by default) and <paramref name="port"/> (0: any free one).</summary>
    public static SmtpSink Start(SmtpSinkOptions? options = null, IPAddress? address = null, int port = 0) =>
        new(options ?? new SmtpSinkOptions(), address ?? IPAddress.Loopback, port);

    /// <summary>Waits until <paramref name="count"/> messages have arrived in all.</summary>
    public async Task<IReadOnlyList<SinkMessage>> WaitForMessagesAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (_messages.Count < count)
        {
            await _arrivals.WaitAsync(cts.Token);
        }

        return Messages;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var id = Interlocked.Increment(ref _connections);
            lock (_sessions)
            {
                _sessions.Add(Task.Run(() => SessionAsync(socket, id)));
            }
        }
    }

    private async Task SessionAsync(Socket socket, int id)
    {
        await using var network = new NetworkStream(socket, ownsSocket: true);
        var session = new Session(this, id, network);
        try
        {
            await session.RunAsync(_stop.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or AuthenticationException or ObjectDisposedException)
        {
            // the client went away
        }
        finally
        {
            await session.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions];
        }

        await Task.WhenAll(sessions);
        _stop.Dispose();
    }

    private sealed class Session(SmtpSink sink, int id, NetworkStream network) : IAsyncDisposable
    {
        private byte[] _buffer = new byte[64 * 1024];
        private Stream _stream = network;
        private int _start;
        private int _end;
        private SslProtocols? _tls;
        private string? _user;
        private string? _mailFrom;
        private readonly List<string> _rcpts = [];
        private MemoryStream? _chunks;

        private SmtpSinkOptions Options => sink.Options;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            if (!await ReplyAsync("CONNECT", "", Options.Greeting))
            {
                return;
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                var line = await ReadLineAsync(cancellationToken);
                if (line is null)
                {
                    return;
                }

                sink._commands.Enqueue(line);
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
                var argument = space < 0 ? "" : line[(space + 1)..];
                if (!await HandleAsync(verb, argument, cancellationToken))
                {
                    return;
                }
            }
        }

        private async Task<bool> HandleAsync(string verb, string argument, CancellationToken cancellationToken)
        {
            switch (verb)
            {
                case "EHLO":
                    var keywords = new List<string>(Options.Keywords);
                    if (Options.Certificate is not null && Options.OfferStartTls && _tls is null)
                    {
                        keywords.Add("STARTTLS");
                    }

                    if (_tls is not null)
                    {
                        keywords.AddRange(Options.KeywordsAfterTls);
                    }

                    var lines = new[] { $"{Options.HostName} Hello {argument}" }.Concat(keywords).ToList();
                    var ehlo = string.Join("\r\n", lines.Select((l, i) => (i == lines.Count - 1 ? "250 " : "250-") + l));
                    Reset();
                    return await ReplyAsync(verb, argument, Options.SupportsEhlo ? ehlo : "502 5.5.1 EHLO not implemented");
                case "HELO":
                    Reset();
                    return await ReplyAsync(verb, argument, $"250 {Options.HostName}");
                case "STARTTLS":
                    if (Options.Certificate is null || _tls is not null)
                    {
                        return await ReplyAsync(verb, argument, "454 4.7.0 TLS not available");
                    }

                    if (!await ReplyAsync(verb, argument, "220 2.0.0 Ready to start TLS"))
                    {
                        return false;
                    }

                    if (Options.BreakTlsHandshake)
                    {
                        await WriteAsync("this is not TLS");
                        return false;
                    }

                    var tls = new SslStream(_stream, leaveInnerStreamOpen: true);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = Options.Certificate }, cancellationToken);
                    _stream = tls;
                    _tls = tls.SslProtocol;
                    _start = _end = 0;
                    Reset();
                    return true;
                case "AUTH":
                    return await AuthAsync(argument, cancellationToken);
                case "MAIL":
                    Reset();
                    var mail = await ReplyOrDefaultAsync(verb, argument, "250 2.1.0 Ok");
                    if (mail.Reply?.StartsWith('2') == true)
                    {
                        _mailFrom = "MAIL " + argument;
                    }

                    return mail.Open;
                case "RCPT":
                    var address = argument.Length > 3 && argument.IndexOf('<', StringComparison.Ordinal) is var lt and >= 0
                        ? argument[(lt + 1)..argument.IndexOf('>', lt)] : argument;
                    var rcpt = await ReplyOrDefaultAsync(verb, address, _mailFrom is null ? "503 5.5.1 Need MAIL" : "250 2.1.5 Ok");
                    if (rcpt.Reply?.StartsWith('2') == true)
                    {
                        _rcpts.Add("RCPT " + argument);
                    }

                    return rcpt.Open;
                case "DATA":
                    if (_mailFrom is null || _rcpts.Count == 0)
                    {
                        return await ReplyAsync(verb, argument, "554 5.5.1 No valid recipients");
                    }

                    var data = await ReplyOrDefaultAsync(verb, argument, "354 End data with <CR><LF>.<CR><LF>");
                    if (!data.Open || data.Reply?.StartsWith("354", StringComparison.Ordinal) != true)
                    {
                        return data.Open;
                    }

                    var content = await ReadDataAsync(cancellationToken);
                    return content is not null && await FinishAsync(content, bdat: false);
                case "BDAT":
                    return await BdatAsync(argument, cancellationToken);
                case "RSET":
                    Reset();
                    return await ReplyAsync(verb, argument, "250 2.0.0 Ok");
                case "NOOP":
                    return await ReplyAsync(verb, argument, "250 2.0.0 Ok");
                case "QUIT":
                    await ReplyAsync(verb, argument, "221 2.0.0 Bye");
                    return false;
                default:
                    return await ReplyAsync(verb, argument, "502 5.5.2 Error: command not recognized");
            }
        }

        private async Task<bool> BdatAsync(string argument, CancellationToken cancellationToken)
        {
            var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var size = int.Parse(words[0], CultureInfo.InvariantCulture);
            var last = words.Length > 1 && words[1].Equals("LAST", StringComparison.OrdinalIgnoreCase);
            var chunk = await ReadExactlyAsync(size, cancellationToken);
            if (chunk is null)
            {
                return false;
            }

            if (_mailFrom is null || _rcpts.Count == 0)
            {
                return await ReplyAsync("BDAT", argument, "554 5.5.1 No valid recipients");
            }

            _chunks ??= new MemoryStream();
            _chunks.Write(chunk);
            if (!last)
            {
                return await ReplyAsync("BDAT", argument, $"250 2.0.0 {size} octets received");
            }

            return await FinishAsync(_chunks.ToArray(), bdat: true);
        }

        private async Task<bool> FinishAsync(byte[] content, bool bdat)
        {
            var result = await ReplyOrDefaultAsync(".", "", "250 2.0.0 Ok: queued as SINK" + sink._messages.Count.ToString(CultureInfo.InvariantCulture));
            if (result.Reply?.StartsWith('2') == true)
            {
                sink._messages.Enqueue(new SinkMessage(id, _mailFrom!, [.. _rcpts], content, bdat, _tls, _user));
                sink._arrivals.Release();
            }

            Reset();
            return result.Open;
        }

        private async Task<bool> AuthAsync(string argument, CancellationToken cancellationToken)
        {
            var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string? user = null;
            string? password = null;
            if (words[0].Equals("PLAIN", StringComparison.OrdinalIgnoreCase) && words.Length == 2)
            {
                var parts = Encoding.UTF8.GetString(Convert.FromBase64String(words[1])).Split('\0');
                (user, password) = (parts[1], parts[2]);
            }
            else if (words[0].Equals("LOGIN", StringComparison.OrdinalIgnoreCase))
            {
                await WriteAsync("334 VXNlcm5hbWU6");
                user = Encoding.UTF8.GetString(Convert.FromBase64String(await ReadLineAsync(cancellationToken) ?? ""));
                await WriteAsync("334 UGFzc3dvcmQ6");
                password = Encoding.UTF8.GetString(Convert.FromBase64String(await ReadLineAsync(cancellationToken) ?? ""));
            }

            if (user is not null && Options.Users.TryGetValue(user, out var expected) && expected == password)
            {
                _user = user;
                return await ReplyAsync("AUTH", argument, "235 2.7.0 Authentication successful");
            }

            return await ReplyAsync("AUTH", argument, "535 5.7.8 Error: authentication failed");
        }

        private void Reset()
        {
            _mailFrom = null;
            _rcpts.Clear();
            _chunks = null;
        }

        private async Task<(bool Open, string? Reply)> ReplyOrDefaultAsync(string verb, string argument, string fallback)
        {
            var reply = Options.Reply?.Invoke(verb, argument) ?? fallback;
            return (await ReplyAsync(verb, argument, reply), reply);
        }

        /// <summary>Sends the scripted reply (or <paramref name="fallback"/>); false when the connection is to close.</summary>
        private async Task<bool> ReplyAsync(string verb, string argument, string fallback)
        {
            var reply = verb is "MAIL" or "RCPT" or "DATA" or "." ? fallback : Options.Reply?.Invoke(verb, argument) ?? fallback;
            if (Options.BeforeReply is { } gate)
            {
                await gate(verb);
            }

            if (reply == "CLOSE")
            {
                return false;
            }

            await WriteAsync(reply);
            return !reply.StartsWith("421", StringComparison.Ordinal);
        }

        private async Task WriteAsync(string reply) => await _stream.WriteAsync(Encoding.UTF8.GetBytes(reply + "\r\n"));

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2); // a line longer than the buffer
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                return false;
            }

            var before = _end;
            _end += read;
            var text = Encoding.UTF8.GetString(_buffer, before, read);
            sink._reads.Enqueue([.. text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries)]);
            return true;
        }

        private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (lf >= 0)
                {
                    var line = Encoding.UTF8.GetString(_buffer, _start, lf - _start).TrimEnd('\r');
                    _start = lf + 1;
                    return line;
                }

                if (!await FillAsync(cancellationToken))
                {
                    return null;
                }
            }
        }

        /// <summary>DATA content up to CRLF.CRLF, dots unstuffed (RFC 5321 §4.5.2), bytes otherwise untouched.</summary>
        private async Task<byte[]?> ReadDataAsync(CancellationToken cancellationToken)
        {
            var content = new MemoryStream();
            while (true)
            {
                var lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (lf < 0)
                {
                    if (!await FillAsync(cancellationToken))
                    {
                        return null;
                    }

                    continue;
                }

                var length = lf + 1 - _start;
                var line = _buffer.AsSpan(_start, length);
                _start = lf + 1;
                if (line.SequenceEqual(".\r\n"u8))
                {
                    return content.ToArray();
                }

                content.Write(line[0] == (byte)'.' ? line[1..] : line);
            }
        }

        private async Task<byte[]?> ReadExactlyAsync(int size, CancellationToken cancellationToken)
        {
            var result = new byte[size];
            var filled = 0;
            while (filled < size)
            {
                if (_start == _end && !await FillAsync(cancellationToken))
                {
                    return null;
                }

                var take = Math.Min(size - filled, _end - _start);
                Buffer.BlockCopy(_buffer, _start, result, filled, take);
                filled += take;
                _start += take;
            }

            return result;
        }

        public async ValueTask DisposeAsync()
        {
            if (_stream is SslStream tls)
            {
                await tls.DisposeAsync();
            }
        }
    }
}
