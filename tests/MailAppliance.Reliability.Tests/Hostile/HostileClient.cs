using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace MailAppliance.Reliability.Tests.Hostile;

/// <summary>
/// A raw client that sends what no real client sends, from any loopback source address (so per-address limits can
/// be measured apart from the attack), and keeps everything the server answered for the final checks.
/// </summary>
public sealed partial class HostileClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StringBuilder _received = new();
    private readonly byte[] _buffer = new byte[64 * 1024];
    private string _pending = "";

    private HostileClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Everything the server sent so far (Latin-1).</summary>
    public string Received => _received.ToString();

    public static async Task<HostileClient> ConnectAsync(int port, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new HostileClient(socket);
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _stream.WriteAsync(bytes, timeout.Token);
    }

    /// <summary>Sends what may not all be taken: a server that closes the connection mid-way ends the sending.</summary>
    public async Task<bool> TrySendAsync(byte[] bytes)
    {
        try
        {
            await SendAsync(bytes);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Reads lines until one matches <paramref name="pattern"/>; returns it (null when the connection closed).</summary>
    public async Task<string?> ReadUntilAsync(string pattern, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var newline = _pending.IndexOf('\n', StringComparison.Ordinal);
            if (newline >= 0)
            {
                var line = _pending[..newline].TrimEnd('\r');
                _pending = _pending[(newline + 1)..];
                if (regex.IsMatch(line))
                {
                    return line;
                }

                continue;
            }

            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer, cancel.Token);
            }
            catch (IOException)
            {
                return null;
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no line matching {pattern}; received: {Tail(Received)}");
            }

            if (read == 0)
            {
                return null;
            }

            var text = Encoding.Latin1.GetString(_buffer, 0, read);
            _received.Append(text);
            _pending += text;
        }
    }

    /// <summary>True when the server has closed the connection (reads until EOF, within the timeout).</summary>
    public async Task<bool> ClosedWithinAsync(TimeSpan timeout)
    {
        try
        {
            return await ReadUntilAsync("(?!)", timeout) is null;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Fails when a reply carries what only an exception would put there.</summary>
    public void AssertNoExceptionText() => AssertNoExceptionText(Received);

    public static void AssertNoExceptionText(string received)
    {
        var match = ExceptionText().Match(received);
        Assert.False(match.Success, $"a reply carries exception text '{match.Value}': {Tail(received)}");
    }

    private static string Tail(string text) => text.Length <= 600 ? text : "…" + text[^600..];

    [GeneratedRegex(@"Exception|\bat [A-Z][A-Za-z0-9_]*\.[A-Za-z0-9_.]+\(|System\.[A-Z]|Npgsql|StackTrace|\.cs:line", RegexOptions.None, 1000)]
    private static partial Regex ExceptionText();

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
