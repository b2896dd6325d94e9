using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailAppliance.Core.Tests.Net;

/// <summary>A line-oriented client on a real socket, for transcript-style tests. Reads byte by byte so nothing is read ahead of STARTTLS.</summary>
public sealed class TestClient : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;
    private Stream _stream;

    private TestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public SslStream? Tls => _stream as SslStream;

    public static async Task<TestClient> ConnectAsync(IPEndPoint server, IPAddress? from = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        await socket.ConnectAsync(server).WaitAsync(Timeout);
        return new TestClient(socket);
    }

    public Task Send(string line) => SendRaw(line + "\r\n");

    public async Task SendRaw(string text)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask().WaitAsync(Timeout);
        await _stream.FlushAsync().WaitAsync(Timeout);
    }

    /// <summary>Reads one line and checks that it starts with <paramref name="prefix"/>; returns it.</summary>
    public async Task<string> Expect(string prefix)
    {
        var line = await ReadLine();
        Assert.NotNull(line);
        Assert.StartsWith(prefix, line, StringComparison.Ordinal);
        return line;
    }

    /// <summary>One line without its CRLF, or null when the server closed the connection.</summary>
    public async Task<string?> ReadLine()
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            int read;
            try
            {
                read = await _stream.ReadAsync(one).AsTask().WaitAsync(Timeout);
            }
            catch (IOException)
            {
                read = 0; // reset by the server
            }

            if (read == 0)
            {
                return bytes.Count == 0 ? null : Encoding.UTF8.GetString([.. bytes]);
            }

            if (one[0] == '\n')
            {
                if (bytes.Count > 0 && bytes[^1] == '\r')
                {
                    bytes.RemoveAt(bytes.Count - 1);
                }

                return Encoding.UTF8.GetString([.. bytes]);
            }

            bytes.Add(one[0]);
        }
    }

    public async Task ExpectClosed() => Assert.Null(await ReadLine());

    /// <summary>Starts TLS as a client; the tests' certificates are self-signed, so the only check is that one was sent (or that it is <paramref name="expected"/>).</summary>
    public async Task StartTls(SslProtocols protocols = SslProtocols.None, string targetHost = "localhost", X509Certificate? expected = null)
    {
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && (expected is null || certificate.GetCertHashString() == expected.GetCertHashString()),
        }).WaitAsync(Timeout);
        _stream = tls;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
