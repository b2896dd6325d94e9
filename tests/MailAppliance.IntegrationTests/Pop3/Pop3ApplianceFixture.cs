using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Pop3;

/// <summary>
/// The real appliance (<c>mailappliance serve</c>) with its MX, POP3 (STLS) and POP3S listeners on free loopback ports,
/// a fresh database in the test cluster, and the domain <c>example.test</c>.
/// </summary>
public sealed class Pop3ApplianceFixture : IAsyncLifetime
{
    private ServeProcess? _serve;

    public string Root { get; } = TestDirectories.Create("pop3");

    public string DataDirectory => Path.Combine(Root, "data");

    public CliRunner Cli { get; private set; } = null!;

    public int SmtpPort { get; private set; }

    public int Pop3Port { get; private set; }

    public int Pop3sPort { get; private set; }

    public async Task InitializeAsync()
    {
        var ports = FreePorts(3);
        (SmtpPort, Pop3Port, Pop3sPort) = (ports[0], ports[1], ports[2]);
        var config = new Dictionary<string, object>
        {
            ["Hostname"] = "mx.example.test",
            ["Storage"] = new { DataDirectory },
            ["ConnectionStrings"] = new { Metadata = await TestCluster.CreateDatabaseAsync() },
            ["Auth"] = new { Pbkdf2Iterations = 1000 },
            ["Listeners"] = new
            {
                Smtp = $"127.0.0.1:{SmtpPort}",
                Submission = "",
                Submissions = "",
                Imap = "",
                Imaps = "",
                Pop3 = $"127.0.0.1:{Pop3Port}",
                Pop3s = $"127.0.0.1:{Pop3sPort}",
            },
        };
        Cli = CliRunner.WithConfig(Root, config);
        var domain = await Cli.RunAsync("domain add example.test");
        Assert.True(domain.ExitCode == 0, domain.ToString());
        _serve = ServeProcess.Start(Cli.ConfigFile);
        await _serve.WaitForNotificationAsync("READY=1", TimeSpan.FromSeconds(90));
    }

    /// <summary>A new user <paramref name="local"/>@example.test with password <c>pw</c>.</summary>
    public async Task<string> UserAsync(string local)
    {
        var result = await Cli.RunAsync($"user add {local}@example.test --password-stdin", "pw\n");
        Assert.True(result.ExitCode == 0, result.ToString());
        return $"{local}@example.test";
    }

    /// <summary>Sends messages to the MX port with python's smtplib and waits until all are in the user's INBOX.</summary>
    public async Task DeliverAsync(string local, params string[] messages)
    {
        var before = Messages(local).Count;
        var script = $"""
            import smtplib, sys
            messages = {PythonList(messages)}
            s = smtplib.SMTP("127.0.0.1", {SmtpPort}, timeout=30)
            for m in messages:
                s.sendmail("sender@example.net", ["{local}@example.test"], m.encode())
            s.quit()
            """;
        var (exit, output) = await Python(script);
        Assert.True(exit == 0, output);
        var watch = Stopwatch.StartNew();
        while (Messages(local).Count < before + messages.Length)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"only {Messages(local).Count} messages arrived");
            await Task.Delay(50);
        }
    }

    /// <summary>The message files of a user's INBOX (new/ and cur/), ordered by name.</summary>
    public IReadOnlyList<string> Messages(string local)
    {
        var root = Path.Combine(DataDirectory, "mail", "example.test", local, "Maildir");
        return new[] { "new", "cur" }.Select(d => Path.Combine(root, d)).Where(Directory.Exists)
            .SelectMany(Directory.GetFiles).Order(StringComparer.Ordinal).ToList();
    }

    public static Task<(int ExitCode, string Output)> Python(string script) =>
        ApplianceFixture.RunAsync("python3", ["-c", script.Replace("\r\n", "\n", StringComparison.Ordinal)], timeout: TimeSpan.FromSeconds(60));

    public async Task DisposeAsync()
    {
        if (_serve is not null)
        {
            await _serve.DisposeAsync();
        }

        TestDirectories.Delete(Root);
    }

    private static string PythonList(IEnumerable<string> values) =>
        "[" + string.Join(", ", values.Select(v => "\"" + v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"")) + "]";

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
