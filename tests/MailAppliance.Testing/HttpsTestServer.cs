using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace MailAppliance.Testing;

/// <summary>A response of <see cref="HttpsTestServer"/>.</summary>
public sealed record HttpsTestResponse(int Status, string ContentType, string Body, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static HttpsTestResponse Text(string body) => new(200, "text/plain", body);
}

/// <summary>
/// A small HTTPS/1.1 server on loopback with a test certificate (for MTA-STS policy hosts): one response per path,
/// set and changed by the test; every request's Host and path recorded. Connection: close after each response.
/// </summary>
public sealed class HttpsTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly SslStreamCertificateContext _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, HttpsTestResponse> _responses = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly Task _accepting;

    /// <param name="address">Where to listen (127.0.0.1 by default).</param>
    /// <param name="port">The port (0: a free one; 443 for a server found the way MTA-STS looks it up).</param>
    public HttpsTestServer(SslStreamCertificateContext certificate, IPAddress? address = null, int port = 0)
    {
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
        _certificate = certificate;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>"host path" of every request, in order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    public void Respond(string path, HttpsTestResponse response) => _responses[path] = response;

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

            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            await using var network = new NetworkStream(socket, ownsSocket: true);
            await using var tls = new SslStream(network);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = _certificate }, _stop.Token);
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await tls.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                head.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            var lines = head.ToString().Split("\r\n");
            var path = lines[0].Split(' ')[1];
            var host = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Host:", StringComparison.OrdinalIgnoreCase))?[5..].Trim() ?? "";
            _requests.Enqueue($"{host} {path}");
            var response = _responses.TryGetValue(path, out var found) ? found : new HttpsTestResponse(404, "text/plain", "not found");
            var body = Encoding.UTF8.GetBytes(response.Body);
            var text = new StringBuilder($"HTTP/1.1 {response.Status} X\r\nContent-Type: {response.ContentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n");
            foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
            {
                text.Append(name).Append(": ").Append(value).Append("\r\n");
            }

            await tls.WriteAsync(Encoding.ASCII.GetBytes(text.Append("\r\n").ToString()), _stop.Token);
            await tls.WriteAsync(body, _stop.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException or SocketException)
        {
            // the client went away or refused our certificate
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
