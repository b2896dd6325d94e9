using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using MailAppliance.Core.Net;
using MailAppliance.Core.Tests.Tls;

namespace MailAppliance.Core.Tests.Net;

public sealed class ConnectionListenerTests(TestCertificates certificates) : IClassFixture<TestCertificates>
{
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);
    private readonly List<(string Message, Exception Error)> _errors = [];

    [Fact]
    public async Task Port_zero_is_bound_to_a_real_port_and_connections_are_counted()
    {
        var release = new TaskCompletionSource();
        await using var listener = Listen(new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort] }, async (connection, token) =>
        {
            await Write(connection, "220 hello");
            await release.Task.WaitAsync(token);
        });

        var server = Assert.Single(listener.BoundEndPoints);
        Assert.NotEqual(0, server.Port);
        await using (var client = await TestClient.ConnectAsync(server))
        {
            await client.Expect("220 hello");
            Assert.Equal(1, listener.ConnectionCount);
            release.SetResult();
            await client.ExpectClosed();
        }

        await ClientConnectionTests.WaitUntil(() => listener.ConnectionCount == 0);
    }

    [Fact]
    public async Task Over_the_limit_the_reject_callback_answers_not_the_handler()
    {
        var handled = 0;
        var options = new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort], Limits = new ConnectionLimits(MaxConnections: 2, MaxConnectionsPerAddress: 10) };
        await using var listener = Listen(options, async (connection, token) =>
        {
            Interlocked.Increment(ref handled);
            await Write(connection, "220 welcome");
            await ReadUntilClosed(connection, token);
        });

        await using var first = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await first.Expect("220 welcome");
        await using var second = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await second.Expect("220 welcome");
        await using var third = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await third.Expect("421 4.7.0 Too many connections");
        await third.ExpectClosed();
        Assert.Equal(2, handled);
        Assert.Equal(2, listener.ConnectionCount);

        await first.DisposeAsync();
        await ClientConnectionTests.WaitUntil(() => listener.ConnectionCount == 1);
        await using var fourth = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await fourth.Expect("220 welcome");
    }

    [Fact]
    public async Task The_per_address_limit_counts_each_client_address()
    {
        var options = new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort], Limits = new ConnectionLimits(MaxConnections: 10, MaxConnectionsPerAddress: 1) };
        await using var listener = Listen(options, async (connection, token) =>
        {
            await Write(connection, $"220 {connection.RemoteEndPoint.Address}");
            await Task.Delay(Timeout.Infinite, token);
        });

        await using var first = await TestClient.ConnectAsync(listener.BoundEndPoints[0], from: IPAddress.Loopback);
        await first.Expect("220 127.0.0.1");
        await using var second = await TestClient.ConnectAsync(listener.BoundEndPoints[0], from: IPAddress.Loopback);
        await second.Expect("421");
        // All of 127/8 is loopback on Linux: another address is another client.
        await using var other = await TestClient.ConnectAsync(listener.BoundEndPoints[0], from: IPAddress.Parse("127.0.0.2"));
        await other.Expect("220 127.0.0.2");
    }

    [Fact]
    public async Task An_exempt_network_is_not_held_to_the_per_address_limit_but_to_the_limit_in_all()
    {
        var limits = new ConnectionLimits(MaxConnections: 3, MaxConnectionsPerAddress: 1) { Exempt = [IPNetwork.Parse("127.0.0.3/32")] };
        await using var listener = Listen(new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort], Limits = limits }, async (connection, token) =>
        {
            await Write(connection, $"220 {connection.RemoteEndPoint.Address}");
            await Task.Delay(Timeout.Infinite, token);
        });

        var trusted = IPAddress.Parse("127.0.0.3");
        await using var first = await TestClient.ConnectAsync(listener.BoundEndPoints[0], from: trusted);
        await first.Expect("220 127.0.0.3");
        await using var second = await TestClient.ConnectAsync(listener.BoundEndPoints[0], from: trusted);
        await second.Expect("220 127.0.0.3");
        await using var other = await TestClient.ConnectAsync(listener.BoundEndPoints[0], from: IPAddress.Parse("127.0.0.4"));
        await other.Expect("220 127.0.0.4");
        await using var fourth = await TestClient.ConnectAsync(listener.BoundEndPoints[0], from: trusted);
        await fourth.Expect("421"); // three sessions in all
        await using var limited = await TestClient.ConnectAsync(listener.BoundEndPoints[0], from: IPAddress.Parse("127.0.0.4"));
        await limited.Expect("421");
    }

    [Fact]
    public async Task Without_a_reject_callback_connections_over_the_limit_are_closed()
    {
        var options = new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort], Limits = new ConnectionLimits(1, 1) };
        await using var listener = new ConnectionListener(options, async (connection, token) =>
        {
            await Write(connection, "220 welcome");
            await Task.Delay(Timeout.Infinite, token);
        });
        await listener.StartAsync();
        await using var first = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await first.Expect("220 welcome");
        await using var second = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await second.ExpectClosed();
    }

    [Fact]
    public async Task A_failing_handler_is_reported_and_the_listener_keeps_accepting()
    {
        var calls = 0;
        await using var listener = Listen(new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort], Name = "smtp" }, async (connection, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new InvalidOperationException("handler bug");
            }

            await Write(connection, "220 still here");
        });

        await using (var crashing = await TestClient.ConnectAsync(listener.BoundEndPoints[0]))
        {
            await crashing.ExpectClosed();
        }

        await using var next = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await next.Expect("220 still here");
        await ClientConnectionTests.WaitUntil(() => listener.ConnectionCount == 0);
        lock (_errors)
        {
            var (message, error) = Assert.Single(_errors);
            Assert.IsType<InvalidOperationException>(error);
            Assert.StartsWith("smtp: session ", message, StringComparison.Ordinal);
            Assert.Contains("127.0.0.1", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Stop_cancels_the_sessions_and_waits_for_them()
    {
        var listener = Listen(new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort] }, async (connection, token) =>
        {
            await Write(connection, "220 hi");
            try
            {
                await connection.Input.ReadAsync(token);
            }
            catch (OperationCanceledException)
            {
                await Write(connection, "421 4.3.2 shutting down");
            }
        });
        var server = listener.BoundEndPoints[0];
        await using var client = await TestClient.ConnectAsync(server);
        await client.Expect("220 hi");

        await listener.StopAsync(TimeSpan.FromSeconds(10)).WaitAsync(TimeSpan.FromSeconds(5));
        await client.Expect("421 4.3.2");
        await client.ExpectClosed();
        Assert.Equal(0, listener.ConnectionCount);
        await Assert.ThrowsAnyAsync<SocketException>(() => TestClient.ConnectAsync(server));
        Assert.Empty(_errors);
    }

    [Fact]
    public async Task Sessions_that_ignore_the_stop_are_closed_after_the_drain_time()
    {
        var listener = Listen(new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort] }, async (connection, _) =>
        {
            await Write(connection, "220 stubborn");
            await connection.Input.ReadAsync(CancellationToken.None); // ends only when the socket closes
        });
        await using var client = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await client.Expect("220 stubborn");

        var started = DateTime.UtcNow;
        await listener.StopAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
        await client.ExpectClosed();
        Assert.Equal(0, listener.ConnectionCount);
    }

    [Fact]
    public async Task An_address_in_use_fails_at_start_naming_it()
    {
        await using var first = Listen(new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort] }, (_, _) => Task.CompletedTask);
        var taken = first.BoundEndPoints[0];
        await using var second = new ConnectionListener(
            new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort, taken], Name = "imap" },
            (_, _) => Task.CompletedTask);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => second.StartAsync());
        Assert.Contains($"imap: cannot listen on {taken}", error.Message, StringComparison.Ordinal);
        Assert.Empty(second.BoundEndPoints); // what had been bound was released
    }

    [Fact]
    public async Task Ipv4_and_ipv6_endpoints_side_by_side()
    {
        if (!Socket.OSSupportsIPv6 || !CanBind(IPAddress.IPv6Loopback))
        {
            return; // no IPv6 loopback in this environment
        }

        await using var listener = Listen(
            new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort, new IPEndPoint(IPAddress.IPv6Loopback, 0)] },
            (connection, _) => Write(connection, $"220 {connection.RemoteEndPoint.Address}"));
        Assert.Equal(2, listener.BoundEndPoints.Count);
        await using var v4 = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await v4.Expect("220 127.0.0.1");
        await using var v6 = await TestClient.ConnectAsync(listener.BoundEndPoints[1]);
        await v6.Expect("220 ::1");
    }

    [Fact]
    public async Task Implicit_tls_handshakes_before_the_handler()
    {
        var options = new ConnectionListenerOptions { EndPoints = [AnyLoopbackPort], ImplicitTls = certificates.Provider.CreateServerOptions, Name = "imaps" };
        await using var listener = Listen(options, (connection, _) => Write(connection, $"* OK {connection.IsTls} {connection.TlsInfo}"));

        await using var client = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await client.StartTls(expected: certificates.Provider.Certificate);
        await client.Expect("* OK True TLSv1.");

        // A plaintext client on the TLS port fails the handshake; that is reported and the listener goes on.
        await using (var plain = await TestClient.ConnectAsync(listener.BoundEndPoints[0]))
        {
            await plain.Send("A1 LOGIN tim secret");
            await plain.ExpectClosed();
        }

        await ClientConnectionTests.WaitUntil(() => { lock (_errors) { return _errors.Count == 1; } });
        lock (_errors)
        {
            Assert.Contains("TLS handshake", _errors[0].Message, StringComparison.Ordinal);
            Assert.True(_errors[0].Error is AuthenticationException or IOException, _errors[0].Error.ToString());
        }

        await using var again = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await again.StartTls(SslProtocols.Tls13);
        await again.Expect("* OK True TLSv1.3");
    }

    [Fact]
    public async Task Implicit_tls_rejections_are_said_inside_tls()
    {
        var options = new ConnectionListenerOptions
        {
            EndPoints = [AnyLoopbackPort],
            ImplicitTls = certificates.Provider.CreateServerOptions,
            Limits = new ConnectionLimits(1, 1),
        };
        await using var listener = Listen(options, async (connection, token) =>
        {
            await Write(connection, "+OK");
            await Task.Delay(Timeout.Infinite, token);
        }, reject: (connection, _) => Write(connection, "-ERR [SYS/TEMP] too many connections"));

        await using var first = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await first.StartTls();
        await first.Expect("+OK");
        await using var second = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await second.StartTls();
        await second.Expect("-ERR [SYS/TEMP]");
    }

    private ConnectionListener Listen(
        ConnectionListenerOptions options,
        Func<ClientConnection, CancellationToken, Task> handler,
        Func<ClientConnection, CancellationToken, Task>? reject = null)
    {
        var listener = new ConnectionListener(
            options,
            handler,
            reject ?? ((connection, _) => Write(connection, "421 4.7.0 Too many connections")),
            (message, error) =>
            {
                lock (_errors)
                {
                    _errors.Add((message, error));
                }
            });
        listener.StartAsync().GetAwaiter().GetResult();
        return listener;
    }

    private static async Task Write(ClientConnection connection, string line)
    {
        connection.Output.Write(Encoding.ASCII.GetBytes(line + "\r\n"));
        await connection.Output.FlushAsync();
    }

    private static async Task ReadUntilClosed(ClientConnection connection, CancellationToken token)
    {
        while (true)
        {
            var result = await connection.Input.ReadAsync(token);
            connection.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static bool CanBind(IPAddress address)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
