using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace MailAppliance.ManageSieve.Tests;

/// <summary>
/// A raw ManageSieve conversation for transcript tests: <c>await s.Send("LISTSCRIPTS"); await s.Expect("OK");</c>.
/// Lines are read one by one; a line ending in a literal <c>{n}</c> is joined with its n octets.
/// </summary>
public sealed class ManageSieveClientScript : IAsyncDisposable
{
    private readonly TcpClient _client;
    private Stream _stream;
    private readonly MemoryStream _pending = new();

    private ManageSieveClientScript(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>The lines of the greeting (capabilities, then OK).</summary>
    public List<string> Greeting { get; private set; } = [];

    public static async Task<ManageSieveClientScript> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var script = new ManageSieveClientScript(client);
        script.Greeting = await script.ReadUntilStatusAsync();
        Assert.StartsWith("OK", script.Greeting[^1], StringComparison.Ordinal);
        return script;
    }

    public async Task StartTlsAsync()
    {
        await Send("STARTTLS");
        await Expect("OK");
        var ssl = new SslStream(_stream, false, (_, certificate, _, _) => certificate is not null);
        await ssl.AuthenticateAsClientAsync("mx.example.test");
        _stream = ssl;
        // RFC 5804 §2.2: capabilities again, then OK.
        var lines = await ReadUntilStatusAsync();
        Assert.StartsWith("OK", lines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("\"STARTTLS\"", lines);
    }

    public async Task LoginAsync(string user = "alice@example.test", string password = "pw")
    {
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + user + "\0" + password));
        await Send($"AUTHENTICATE \"PLAIN\" \"{token}\"");
        await Expect("OK");
    }

    public Task Send(string line) => SendRaw(Encoding.UTF8.GetBytes(line + "\r\n"));

    public async Task SendRaw(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Reads response lines up to the status line (OK/NO/BYE) and asserts it starts with <paramref name="prefix"/>.</summary>
    public async Task<List<string>> Expect(string prefix)
    {
        var lines = await ReadUntilStatusAsync();
        Assert.True(lines[^1].StartsWith(prefix, StringComparison.Ordinal), $"expected '{prefix}', got:\n{string.Join("\n", lines)}");
        return lines;
    }

    public async Task<List<string>> ReadUntilStatusAsync()
    {
        var lines = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync();
            lines.Add(line);
            if (line.StartsWith("OK", StringComparison.Ordinal) || line.StartsWith("NO", StringComparison.Ordinal) || line.StartsWith("BYE", StringComparison.Ordinal))
            {
                return lines;
            }
        }
    }

    public async Task<string> ReadLineAsync()
    {
        var line = await ReadRawLineAsync();
        var m = System.Text.RegularExpressions.Regex.Match(line, @"\{(\d+)\+?\}$");
        if (m.Success)
        {
            var literal = await ReadBytesAsync(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            line = line + "\r\n" + Encoding.UTF8.GetString(literal) + await ReadRawLineAsync();
        }

        return line;
    }

    private async Task<string> ReadRawLineAsync()
    {
        var bytes = new List<byte>();
        while (true)
        {
            var b = await ReadByteAsync();
            if (b == '\n')
            {
                if (bytes.Count > 0 && bytes[^1] == '\r')
                {
                    bytes.RemoveAt(bytes.Count - 1);
                }

                return Encoding.UTF8.GetString(bytes.ToArray());
            }

            bytes.Add(b);
        }
    }

    private async Task<byte[]> ReadBytesAsync(int count)
    {
        var result = new byte[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = await ReadByteAsync();
        }

        return result;
    }

    private readonly byte[] _one = new byte[1];

    private async Task<byte> ReadByteAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var n = await _stream.ReadAsync(_one, timeout.Token);
        if (n == 0)
        {
            throw new IOException("connection closed");
        }

        return _one[0];
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
        _pending.Dispose();
    }
}
