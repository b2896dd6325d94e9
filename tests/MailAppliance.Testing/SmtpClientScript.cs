using System.Net.Sockets;
using System.Text;
using Xunit;

namespace MailAppliance.Testing;

/// <summary>A raw SMTP conversation for what real clients will not send (smuggling, pipelining, BDAT, abuse).</summary>
public sealed class SmtpClientScript : IAsyncDisposable
{
    private readonly TcpClient _client;
    private Stream _stream;
    private StreamReader _reader;

    private SmtpClientScript(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new StreamReader(_stream, Encoding.Latin1);
    }

    public static async Task<SmtpClientScript> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var script = new SmtpClientScript(client);
        await script.Expect("220");
        return script;
    }

    public async Task Send(string text) => await _stream.WriteAsync(Encoding.Latin1.GetBytes(text.EndsWith('\n') ? text : text + "\r\n"));

    public async Task SendRaw(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Reads one reply (all its lines) and checks it starts with <paramref name="prefix"/>; returns it.</summary>
    public async Task<string> Expect(string prefix)
    {
        var reply = await ReadReplyAsync();
        Assert.True(reply.StartsWith(prefix, StringComparison.Ordinal), $"expected '{prefix}…', got '{reply}'");
        return reply;
    }

    public async Task<string> ReadReplyAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException($"connection closed after: {string.Join(" | ", lines)}");
            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return string.Join("\n", lines);
            }
        }
    }

    /// <summary>After the server's 220 to STARTTLS: the TLS handshake (any certificate), then a fresh reader.</summary>
    public async Task UpgradeToTlsAsync()
    {
#pragma warning disable CA5359 // the appliance under test has a self-signed certificate
        var tls = new System.Net.Security.SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
#pragma warning restore CA5359
        await tls.AuthenticateAsClientAsync("mx.example.test");
        _stream = tls;
        _reader = new StreamReader(_stream, Encoding.Latin1);
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
        _client.Dispose();
    }
}
