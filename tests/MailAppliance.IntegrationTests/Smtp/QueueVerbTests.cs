using System.Text.Json;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>The queue as an admin sees it: a message for an external recipient waits (its domain's DNS failing) until deleted.</summary>
public sealed class QueueVerbTests : IClassFixture<ApplianceFixture>
{
    private readonly ApplianceFixture _app;

    public QueueVerbTests(ApplianceFixture app) => _app = app;

    [Fact]
    public async Task Queue_list_show_retry_and_delete()
    {
        // SERVFAIL: a temporary failure (4.4.3), so the message waits in the queue.
        _app.Dns.ServFail("elsewhere.example");
        var (exit, output) = await ApplianceFixture.RunAsync("swaks", ["--server", $"127.0.0.1:{_app.SubmissionPort}", "--tls", "--auth", "PLAIN",
            "--auth-user", "alice@example.test", "--auth-password", "pw", "--from", "alice@example.test", "--to", "friend@elsewhere.example"]);
        Assert.True(exit == 0, output);
        var queueId = output.Split("queued as ")[1].Split('\n')[0].Trim();

        var list = await _app.Cli.RunAsync("queue list --json");
        Assert.True(list.ExitCode == 0, list.ToString());
        for (var i = 0; i < 50 && !list.Output.Contains("deferred", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            list = await _app.Cli.RunAsync("queue list --json");
        }

        using (var json = JsonDocument.Parse(list.Output))
        {
            var row = json.RootElement.EnumerateArray().Single(r => r.GetProperty("queueId").GetString() == queueId);
            Assert.Equal("friend@elsewhere.example", row.GetProperty("recipient").GetString());
            Assert.Equal("deferred", row.GetProperty("status").GetString());
        }

        var show = await _app.Cli.RunAsync($"queue show {queueId}");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("sender:    alice@example.test", show.Output, StringComparison.Ordinal);
        Assert.Contains("4.4.3 Host or domain name not found", show.Output, StringComparison.Ordinal);
        var spoolFile = Path.Combine(_app.DataDirectory, "spool", queueId + ".msg");
        Assert.True(File.Exists(spoolFile));

        var retry = await _app.Cli.RunAsync($"queue retry {queueId}");
        Assert.True(retry.ExitCode == 0, retry.ToString());

        var delete = await _app.Cli.RunAsync($"queue delete {queueId}");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.False(File.Exists(spoolFile));
        Assert.DoesNotContain(queueId, (await _app.Cli.RunAsync("queue list")).Output, StringComparison.Ordinal);
        Assert.Equal(2, (await _app.Cli.RunAsync("queue show NOSUCHID")).ExitCode);
    }
}

/// <summary>An appliance with small abuse limits.</summary>
public sealed class StrictApplianceFixture : ApplianceFixture
{
    protected override object ExtraSmtpSettings => new { MaxConnectionsPerIp = 2, CommandTimeoutSeconds = 2, MaxErrors = 3, TrustedNetworks = "127.0.0.9/32" };
}

public sealed class AbuseLimitTests : IClassFixture<StrictApplianceFixture>
{
    private readonly StrictApplianceFixture _app;

    public AbuseLimitTests(StrictApplianceFixture app) => _app = app;

    [Fact]
    public async Task Connections_per_ip_are_limited()
    {
        await using var first = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await using var second = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        using var third = new System.Net.Sockets.TcpClient();
        await third.ConnectAsync("127.0.0.1", _app.SmtpPort);
        using var reader = new StreamReader(third.GetStream());
        Assert.StartsWith("421 4.7.0", await reader.ReadLineAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trusted_network_is_not_held_to_the_per_ip_limit()
    {
        var clients = new List<System.Net.Sockets.TcpClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var client = new System.Net.Sockets.TcpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.9"), 0));
                clients.Add(client);
                await client.ConnectAsync("127.0.0.1", _app.SmtpPort);
                var reader = new StreamReader(client.GetStream());
                Assert.StartsWith("220 ", await reader.ReadLineAsync(), StringComparison.Ordinal);
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task An_idle_client_is_told_421_and_disconnected()
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Expect("421 4.4.2");
    }

    [Fact]
    public async Task Errors_beyond_the_limit_close_the_session()
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("BOGUS");
        await smtp.Expect("500");
        await smtp.Send("BOGUS");
        await smtp.Expect("500");
        await smtp.Send("BOGUS");
        await smtp.Expect("421 4.7.0");
    }
}

public sealed class MxAuthTests : IClassFixture<ApplianceFixture>
{
    private readonly ApplianceFixture _app;

    public MxAuthTests(ApplianceFixture app) => _app = app;

    [Fact]
    public async Task On_port_25_auth_is_refused_in_clear_text_and_lets_a_user_relay_after_starttls()
    {
        await using (var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort))
        {
            await smtp.Send("EHLO client.example");
            Assert.DoesNotContain("AUTH", await smtp.Expect("250"), StringComparison.Ordinal);
            await smtp.Send("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABwdw==");
            await smtp.Expect("538 5.7.11");
        }

        var (exit, output) = await ApplianceFixture.RunAsync("swaks", ["--server", $"127.0.0.1:{_app.SmtpPort}", "--tls", "--auth", "PLAIN",
            "--auth-user", "alice@example.test", "--auth-password", "pw", "--from", "alice@example.test", "--to", "someone@elsewhere.example"]);
        Assert.True(exit == 0, output);
        Assert.Contains("235 2.7.0", output, StringComparison.Ordinal);
        Assert.Contains("250 2.0.0 Ok: queued as", output, StringComparison.Ordinal);
    }
}
