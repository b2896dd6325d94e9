using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailAppliance.Bench.Imap;

/// <summary>One response: its first line (literals cut out, kept only when asked for) and whether it was the tagged end.</summary>
internal readonly record struct ImapResponse(bool Tagged, string? Text);

/// <summary>
/// A small IMAP client for load: plain TCP, tagged commands, responses read line by line with literals skipped
/// (counted, never kept), so FETCH BODY[] of a whole mailbox costs the client no memory.
/// </summary>
internal sealed class ImapClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private int _tagNumber;
    private byte[] _tag = [];

    private ImapClient(Socket socket, int bufferSize)
    {
        _socket = socket;
        _buffer = new byte[bufferSize];
    }

    /// <summary>Bytes received on this connection so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Connects (from <paramref name="local"/> when given, to stay under a per-address limit) and reads the greeting.</summary>
    public static async Task<ImapClient> ConnectAsync(IPEndPoint server, IPAddress? local, int bufferSize, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (local is not null)
            {
                socket.Bind(new IPEndPoint(local, 0));
            }

            await socket.ConnectAsync(server, cancellationToken);
            var client = new ImapClient(socket, bufferSize);
            var greeting = await client.ReadResponseAsync(keepText: true, cancellationToken);
            if (greeting.Text is null || !greeting.Text.StartsWith("* OK", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("unexpected greeting: " + greeting.Text);
            }

            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task LoginAsync(string user, string password, CancellationToken cancellationToken) =>
        await CommandAsync($"LOGIN \"{user}\" \"{password}\"", null, cancellationToken);

    /// <summary>
    /// Sends one command and reads up to its tagged reply, which must be OK. <paramref name="untagged"/> sees every
    /// untagged response's first line (null: lines are not turned into strings). Returns the count of untagged responses.
    /// </summary>
    public async Task<int> CommandAsync(string command, Action<string>? untagged, CancellationToken cancellationToken)
    {
        await SendCommandAsync(command, cancellationToken);
        var count = 0;
        while (true)
        {
            var response = await ReadResponseAsync(untagged is not null, cancellationToken);
            if (response.Tagged)
            {
                if (response.Text is not null && !response.Text.Contains(" OK ", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"{command} failed: {response.Text}");
                }

                return count;
            }

            count++;
            if (untagged is not null && response.Text is not null)
            {
                untagged(response.Text);
            }
        }
    }

    /// <summary>Sends a tagged command without waiting for its reply (IDLE).</summary>
    public async Task SendCommandAsync(string command, CancellationToken cancellationToken)
    {
        _tagNumber++;
        var tag = "a" + _tagNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _tag = Encoding.ASCII.GetBytes(tag + " ");
        await SendLineAsync(tag + " " + command, cancellationToken);
    }

    public async Task SendLineAsync(string line, CancellationToken cancellationToken) =>
        await _socket.SendAsync(Encoding.UTF8.GetBytes(line + "\r\n"), SocketFlags.None, cancellationToken);

    /// <summary>
    /// Reads one response. The tagged reply's text is always kept; other responses only with <paramref name="keepText"/>.
    /// </summary>
    public async Task<ImapResponse> ReadResponseAsync(bool keepText, CancellationToken cancellationToken)
    {
        bool? tagged = null;
        StringBuilder? text = null;
        while (true)
        {
            var lf = await FindLineAsync(cancellationToken);
            var line = _buffer.AsSpan(_start, lf - _start + 1);
            tagged ??= line.StartsWith(_tag);
            if (keepText || tagged == true)
            {
                text ??= new StringBuilder();
                text.Append(Encoding.UTF8.GetString(line.TrimEnd("\r\n"u8)));
            }

            _start = lf + 1;
            var literal = LiteralLength(line);
            if (literal < 0)
            {
                return new ImapResponse(tagged.Value, text?.ToString());
            }

            await SkipAsync(literal, cancellationToken);
        }
    }

    /// <summary>The n of a line ending in <c>{n}</c> (or <c>{n+}</c>), or -1.</summary>
    private static long LiteralLength(ReadOnlySpan<byte> line)
    {
        line = line.TrimEnd("\r\n"u8);
        if (line.Length < 3 || line[^1] != (byte)'}')
        {
            return -1;
        }

        var open = line.LastIndexOf((byte)'{');
        if (open < 0)
        {
            return -1;
        }

        var digits = line[(open + 1)..^1].TrimEnd((byte)'+');
        return Utf8Parser.TryParse(digits, out long n, out var consumed) && consumed == digits.Length ? n : -1;
    }

    private async Task<int> FindLineAsync(CancellationToken cancellationToken)
    {
        var searched = _start;
        while (true)
        {
            var lf = _buffer.AsSpan(searched, _end - searched).IndexOf((byte)'\n');
            if (lf >= 0)
            {
                return searched + lf;
            }

            searched = _end;
            var before = _start;
            await FillAsync(cancellationToken);
            searched -= before - _start;
        }
    }

    private async Task SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }

            var take = (int)Math.Min(count, _end - _start);
            _start += take;
            count -= take;
        }
    }

    /// <summary>Reads more bytes, moving what is unread to the front first and growing the buffer if a line fills it.</summary>
    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            throw new IOException("the server closed the connection");
        }

        _end += read;
        BytesRead += read;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
