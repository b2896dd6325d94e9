using System.Net;
using System.Security.Authentication;
using MailAppliance.Core.Net;
using MailAppliance.Core.Tests.Tls;

namespace MailAppliance.Core.Tests.Net;

public sealed class ClientConnectionTests(TestCertificates certificates) : IClassFixture<TestCertificates>, IAsyncLifetime
{
    private readonly List<Exception> _errors = [];
    private LineSession _session = null!;
    private ConnectionListener _listener = null!;

    private IPEndPoint Server => _listener.BoundEndPoints[0];

    public async Task InitializeAsync()
    {
        _session = new LineSession(certificates.Provider.CreateServerOptions);
        _listener = new ConnectionListener(
            new ConnectionListenerOptions { EndPoints = [new IPEndPoint(IPAddress.Loopback, 0)], Name = "test" },
            _session.RunAsync,
            onError: (_, ex) =>
            {
                lock (_errors)
                {
                    _errors.Add(ex);
                }
            });
        await _listener.StartAsync();
    }

    public async Task DisposeAsync() => await _listener.DisposeAsync();

    [Fact]
    public async Task Lines_are_answered_in_plaintext()
    {
        await using var client = await TestClient.ConnectAsync(Server);
        var greeting = await client.Expect("220 ready ");
        Assert.Matches("^220 ready [a-z2-7]{12}$", greeting);
        await client.Send("HELLO");
        await client.Expect("250 HELLO");
        await client.Send("QUIT");
        await client.Expect("221 bye");
        await client.ExpectClosed();
        lock (_errors)
        {
            Assert.Empty(_errors);
        }
    }

    [Fact]
    public async Task Pipelined_commands_are_all_answered()
    {
        await using var client = await TestClient.ConnectAsync(Server);
        await client.Expect("220");
        await client.SendRaw("ONE\r\nTWO\nTHREE\r\n");
        await client.Expect("250 ONE");
        await client.Expect("250 TWO");
        await client.Expect("250 THREE");
    }

    [Fact]
    public async Task A_long_line_gets_an_error_and_the_session_goes_on()
    {
        await using var client = await TestClient.ConnectAsync(Server);
        await client.Expect("220");
        await client.Send(new string('x', 5000));
        await client.Expect("500 5.5.2");
        await client.Send("NOOP");
        await client.Expect("250 NOOP");
    }

    [Fact]
    public async Task Starttls_switches_the_pipes_to_tls()
    {
        await using var client = await TestClient.ConnectAsync(Server);
        await client.Expect("220");
        await client.Send("STARTTLS");
        await client.Expect("220 go ahead");
        await client.StartTls();
        await client.Send("NOOP");
        await client.Expect("250 NOOP tls");
        await client.Send("TLSINFO");
        var tlsInfo = await client.Expect("250 TLSv1.");
        Assert.Contains(" with cipher TLS_", tlsInfo, StringComparison.Ordinal);
        Assert.False(_session.HadBufferedInputAtStartTls);
        Assert.Equal(0, _session.DiscardedAtStartTls);
    }

    [Fact]
    public async Task Plaintext_pipelined_after_starttls_is_discarded_not_executed()
    {
        // CVE-2011-0411: "STARTTLS\r\nINJECTED\r\n" in one packet must not run INJECTED inside the TLS session.
        await using var client = await TestClient.ConnectAsync(Server);
        await client.Expect("220");
        await client.SendRaw("STARTTLS\r\nINJECTED\r\n");
        await client.Expect("220 go ahead");
        await client.StartTls();
        await client.Send("NOOP");
        await client.Expect("250 NOOP tls");
        Assert.True(_session.HadBufferedInputAtStartTls);
        Assert.Equal("INJECTED\r\n".Length, _session.DiscardedAtStartTls);
    }

    [Fact]
    public async Task Starttls_with_tls12_only_client()
    {
        await using var client = await TestClient.ConnectAsync(Server);
        await client.Expect("220");
        await client.Send("STARTTLS");
        await client.Expect("220");
        await client.StartTls(SslProtocols.Tls12);
        await client.Send("TLSINFO");
        await client.Expect("250 TLSv1.2 with cipher");
    }

    [Fact]
    public async Task A_client_that_never_handshakes_times_out()
    {
        var options = new ConnectionListenerOptions
        {
            EndPoints = [new IPEndPoint(IPAddress.Loopback, 0)],
            Connection = new ClientConnectionOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300) },
        };
        var failures = new List<Exception>();
        await using var listener = new ConnectionListener(options, _session.RunAsync, onError: (_, ex) =>
        {
            lock (failures)
            {
                failures.Add(ex);
            }
        });
        await listener.StartAsync();
        await using var client = await TestClient.ConnectAsync(listener.BoundEndPoints[0]);
        await client.Expect("220");
        await client.Send("STARTTLS");
        await client.Expect("220 go ahead");
        await client.ExpectClosed(); // no ClientHello: the server gives up
        await WaitUntil(() => listener.ConnectionCount == 0);
        lock (failures)
        {
            Assert.IsType<TimeoutException>(Assert.Single(failures));
        }
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
