using System.Collections;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace MailAppliance.Testing;

/// <summary>
/// A raw IMAP conversation for transcript tests: <c>await imap.Send("a1 SELECT INBOX"); await imap.Expect("a1 OK");</c>.
/// Responses are read as lines; a line ending in a literal marker <c>{n}</c> continues with the n octets of the
/// literal and the rest of the response, so each untagged response comes back as one string.
/// </summary>
public sealed class ImapClientScript : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);
    private readonly TcpClient _client;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private Stream _stream;
    private int _start;
    private int _end;

    private ImapClientScript(TcpClient client, Stream stream)
    {
        _client = client;
        _stream = stream;
    }

    /// <summary>The server's greeting line.</summary>
    public string Greeting { get; private set; } = "";

    public bool IsTls => _stream is SslStream;

    /// <summary>Connects in the clear (or with implicit TLS) and reads the greeting.</summary>
    public static async Task<ImapClientScript> ConnectAsync(int port, bool implicitTls = false)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        Stream stream = client.GetStream();
        if (implicitTls)
        {
            stream = await HandshakeAsync(stream);
        }

        var script = new ImapClientScript(client, stream);
        script.Greeting = await script.ReadResponseAsync();
        Assert.StartsWith("* OK", script.Greeting, StringComparison.Ordinal);
        return script;
    }

    /// <summary>Connects (in the clear), then LOGIN as <paramref name="user"/>; for servers that allow plaintext auth.</summary>
    public static async Task<ImapClientScript> LoginAsync(int port, string user = "alice@example.test", string password = "pw")
    {
        var script = await ConnectAsync(port);
        await script.Send($"l1 LOGIN \"{user}\" \"{password}\"");
        await script.Expect("l1 OK");
        return script;
    }

    /// <summary>Sends STARTTLS, expects OK, and negotiates TLS over the same connection.</summary>
    public async Task StartTlsAsync(string tag = "tls")
    {
        await Send(tag + " STARTTLS");
        await Expect(tag + " OK");
        await UpgradeAsync();
    }

    /// <summary>Negotiates TLS now (after the server's OK to STARTTLS has been read).</summary>
    public async Task UpgradeAsync()
    {
        Assert.True(_start == _end, "the server sent data after its STARTTLS reply");
        _stream = await HandshakeAsync(_stream);
    }

    /// <summary>RFC 4978: after the server's OK to COMPRESS DEFLATE, both directions go through raw DEFLATE.</summary>
    public void StartCompression()
    {
        Assert.True(_start == _end, "the server sent data after its COMPRESS reply");
        _stream = new DeflatedStream(_stream);
    }

    /// <summary>Sends one line (CRLF added unless the text already ends with a line feed).</summary>
    public Task Send(string text) => SendRaw(Encoding.UTF8.GetBytes(text.EndsWith('\n') ? text : text + "\r\n"));

    public async Task SendRaw(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>
    /// Sends <paramref name="head"/> followed by a literal: synchronizing (waits for the server's "+" first) or
    /// LITERAL+ (<c>{n+}</c>, sent at once); <paramref name="tail"/> is the rest of the command after the literal.
    /// </summary>
    public async Task SendLiteral(string head, byte[] literal, string tail = "", bool synchronizing = true)
    {
        await SendRaw(Encoding.UTF8.GetBytes($"{head}{{{literal.Length}{(synchronizing ? "" : "+")}}}\r\n"));
        if (synchronizing)
        {
            await ExpectContinuation();
        }

        await SendRaw(literal);
        await Send(tail);
    }

    public Task SendLiteral(string head, string literal, string tail = "", bool synchronizing = true) =>
        SendLiteral(head, Encoding.UTF8.GetBytes(literal), tail, synchronizing);

    /// <summary>Reads responses up to the continuation request ("+ ...") and returns its text.</summary>
    public async Task<string> ExpectContinuation()
    {
        var seen = new List<string>();
        while (true)
        {
            var line = await ReadResponseAsync();
            if (line.StartsWith('+'))
            {
                return line.Length > 2 ? line[2..] : "";
            }

            Assert.True(line.StartsWith("* ", StringComparison.Ordinal), $"expected a continuation, got '{line}' after {string.Join(" | ", seen)}");
            seen.Add(line);
        }
    }

    /// <summary>
    /// Reads responses until the tagged one (the tag is the first word of <paramref name="prefix"/>), checks that
    /// it starts with <paramref name="prefix"/> (case-insensitively), and returns the untagged responses before it.
    /// </summary>
    public async Task<ImapReply> Expect(string prefix)
    {
        var tag = prefix.Split(' ')[0];
        var untagged = new List<string>();
        while (true)
        {
            var line = await ReadResponseAsync();
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                Assert.True(line.StartsWith(prefix, StringComparison.OrdinalIgnoreCase), $"expected '{prefix}…', got '{line}' after:\n{string.Join("\n", untagged)}");
                return new ImapReply(untagged, line);
            }

            Assert.False(line.StartsWith('+'), $"unexpected continuation '{line}' while waiting for {tag}");
            untagged.Add(line);
        }
    }

    /// <summary>Reads one untagged response and checks its start.</summary>
    public async Task<string> ExpectUntagged(string prefix)
    {
        var line = await ReadResponseAsync();
        Assert.True(line.StartsWith(prefix, StringComparison.OrdinalIgnoreCase), $"expected '{prefix}…', got '{line}'");
        return line;
    }

    /// <summary>Reads until the server closes the connection; returns what it said before.</summary>
    public async Task<List<string>> ExpectClosed()
    {
        var lines = new List<string>();
        while (await TryReadResponseAsync() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>Whether a response arrives within <paramref name="wait"/> (for "nothing must be sent now").</summary>
    public async Task<string?> TryReadWithin(TimeSpan wait)
    {
        if (_start < _end)
        {
            return await ReadResponseAsync();
        }

        using var timeout = new CancellationTokenSource(wait);
        try
        {
            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), timeout.Token);
            if (read == 0)
            {
                return null;
            }

            _end += read;
            return await ReadResponseAsync();
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>One response: a line, with any literals it announces folded in.</summary>
    public async Task<string> ReadResponseAsync() =>
        await TryReadResponseAsync() ?? throw new IOException("the server closed the connection");

    private async Task<string?> TryReadResponseAsync()
    {
        var response = new List<byte>();
        while (true)
        {
            var line = await ReadLineAsync();
            if (line is null)
            {
                return response.Count == 0 ? null : throw new IOException("closed inside a response");
            }

            response.AddRange(line);
            var size = LiteralSize(line);
            if (size < 0)
            {
                return Encoding.UTF8.GetString(response.ToArray());
            }

            response.AddRange("\r\n"u8.ToArray());
            response.AddRange(await ReadExactlyAsync(size));
        }
    }

    private static int LiteralSize(byte[] line)
    {
        if (line.Length < 3 || line[^1] != '}')
        {
            return -1;
        }

        var open = Array.LastIndexOf(line, (byte)'{');
        if (open < 0)
        {
            return -1;
        }

        var digits = Encoding.ASCII.GetString(line, open + 1, line.Length - open - 2);
        return int.TryParse(digits, out var size) ? size : -1;
    }

    private async Task<byte[]?> ReadLineAsync()
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var length = newline - _start;
                var line = _buffer.AsSpan(_start, length > 0 && _buffer[newline - 1] == '\r' ? length - 1 : length).ToArray();
                _start = newline + 1;
                return line;
            }

            if (!await FillAsync())
            {
                return null;
            }
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int size)
    {
        var result = new byte[size];
        var filled = 0;
        while (filled < size)
        {
            if (_start == _end && !await FillAsync())
            {
                throw new IOException("closed inside a literal");
            }

            var take = Math.Min(size - filled, _end - _start);
            Array.Copy(_buffer, _start, result, filled, take);
            _start += take;
            filled += take;
        }

        return result;
    }

    private async Task<bool> FillAsync()
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new IOException("response line longer than the test buffer");
        }

        using var timeout = new CancellationTokenSource(ReadTimeout);
        int read;
        try
        {
            read = await _stream.ReadAsync(_buffer.AsMemory(_end), timeout.Token);
        }
        catch (IOException)
        {
            return false;
        }

        _end += read;
        return read > 0;
    }

    private static async Task<SslStream> HandshakeAsync(Stream inner)
    {
        // The appliance under test presents the self-signed certificate it generated for itself.
        var tls = new SslStream(inner, leaveInnerStreamOpen: true, (_, certificate, _, _) => certificate is not null);
        await tls.AuthenticateAsClientAsync("mx.example.test");
        return tls;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }
}

/// <summary>The untagged responses of one command and its tagged completion.</summary>
public sealed class ImapReply(IReadOnlyList<string> untagged, string tagged) : IReadOnlyList<string>
{
    public string Tagged { get; } = tagged;

    public int Count => untagged.Count;

    public string this[int index] => untagged[index];

    /// <summary>The one untagged response that starts with <paramref name="prefix"/>.</summary>
    public string Single(string prefix)
    {
        var matches = untagged.Where(l => l.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(matches.Count == 1, $"expected one '{prefix}…' among:\n{string.Join("\n", untagged)}");
        return matches[0];
    }

    /// <summary>The untagged responses that start with <paramref name="prefix"/>.</summary>
    public List<string> All(string prefix) => untagged.Where(l => l.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();

    public bool Has(string prefix) => untagged.Any(l => l.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    public IEnumerator<string> GetEnumerator() => untagged.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Join("\n", untagged.Append(Tagged));
}

/// <summary>A client's two directions through raw DEFLATE; each write is flushed (a sync flush).</summary>
internal sealed class DeflatedStream(Stream inner) : Stream
{
    private readonly System.IO.Compression.DeflateStream _inflate = new(inner, System.IO.Compression.CompressionMode.Decompress, leaveOpen: true);
    private readonly System.IO.Compression.DeflateStream _deflate = new(inner, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _inflate.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inflate.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _deflate.Write(buffer, offset, count);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _deflate.WriteAsync(buffer, cancellationToken);
        await _deflate.FlushAsync(cancellationToken);
    }

    public override void Flush() => _deflate.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _deflate.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
