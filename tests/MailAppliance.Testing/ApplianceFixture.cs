using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit;

namespace MailAppliance.Testing;

/// <summary>
/// The real appliance: <c>mailappliance serve</c> as a process on free loopback ports, with its own data directory and
/// a fresh database in the test cluster, plus a domain <c>example.test</c> with user <c>alice</c> (password <c>pw</c>).
/// </summary>
public class ApplianceFixture : IAsyncLifetime
{
    private ServeProcess? _serve;

    public string Root { get; } = TestDirectories.Create("appliance");

    public string DataDirectory => Path.Combine(Root, "data");

    public CliRunner Cli { get; private set; } = null!;

    /// <summary>The appliance's database in the test cluster (empty when it runs its own embedded cluster).</summary>
    public string ConnectionString { get; private set; } = "";

    public int SmtpPort { get; private set; }

    public int SubmissionPort { get; private set; }

    public int SubmissionsPort { get; private set; }

    public int Pop3Port { get; private set; }

    public int Pop3sPort { get; private set; }

    public int ImapPort { get; private set; }

    public int ImapsPort { get; private set; }

    /// <summary>The HTTP side (<c>Http:Listen</c>): metrics, health, console, autoconfig.</summary>
    public int HttpPort { get; private set; }

    public int ManageSievePort { get; private set; }

    /// <summary>
    /// The appliance's DNS (<c>Dns:Servers</c>): a server of the test's own on loopback, so no lookup leaves the
    /// machine; names it has no data for are NXDOMAIN (mail to them bounces with 5.1.2). Started with the fixture, so
    /// a test may add zone data before the appliance starts.
    /// </summary>
    public MailAppliance.Testing.Dns.LoopbackDnsServer Dns { get; } = MailAppliance.Testing.Dns.LoopbackDnsServer.Start();

    /// <summary><c>Delivery:Port</c>: remote servers (sinks, Postfix) listen on it, each on its own 127.0.0.x.</summary>
    public int DeliveryPort { get; private set; }

    /// <summary>False: the appliance runs its own embedded PostgreSQL in its data directory.</summary>
    protected virtual bool UseTestCluster => true;

    /// <summary>Settings a subclass changes (merged over the defaults).</summary>
    protected virtual object ExtraSmtpSettings => new { MaxMessageSize = 3 * 1024 * 1024, MaxRecipients = 5 };

    /// <summary>A subclass adds or replaces top-level configuration sections here (before the first CLI run).</summary>
    protected virtual void Configure(Dictionary<string, object> config)
    {
    }

    /// <summary>Environment variables for the <c>serve</c> process (a subclass may trust a test CA with SSL_CERT_FILE).</summary>
    protected virtual IDictionary<string, string>? ServeEnvironment => null;

    /// <summary>The Auth section (a subclass may allow plaintext authentication).</summary>
    protected virtual object AuthSettings => new { Pbkdf2Iterations = 1000 };

    public virtual async Task InitializeAsync()
    {
        var connectionString = UseTestCluster ? await TestCluster.CreateDatabaseAsync() : "";
        ConnectionString = connectionString;
        WriteConfig();
        await Ok("domain add example.test");
        await Ok("user add alice@example.test --password-stdin", "pw\n");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync();
                return;
            }
            catch (ServeExitedException e) when (attempt < 3 && e.Output.Any(l => l.Contains("Address already in use", StringComparison.Ordinal)))
            {
                // Another test process took one of the ports between the check and the bind: new ports, again.
                await StopAsync();
                WriteConfig();
            }
        }
    }

    /// <summary>Picks the listeners' ports and writes the configuration the CLI and serve read.</summary>
    private void WriteConfig()
    {
        var ports = TestPorts.Take(10);
        (SmtpPort, SubmissionPort, SubmissionsPort, Pop3Port, Pop3sPort) = (ports[0], ports[1], ports[2], ports[3], ports[4]);
        (ImapPort, ImapsPort, ManageSievePort, DeliveryPort, HttpPort) = (ports[5], ports[6], ports[7], ports[8], ports[9]);
        var config = new Dictionary<string, object>
        {
            ["Hostname"] = "mx.example.test",
            ["Storage"] = new { DataDirectory },
            ["ConnectionStrings"] = new { Metadata = ConnectionString },
            ["Auth"] = AuthSettings,
            ["Dns"] = new { Servers = new[] { Dns.Address } },
            ["Smtp"] = ExtraSmtpSettings,
            ["Delivery"] = new Dictionary<string, object> { ["Port"] = DeliveryPort },
            ["Listeners"] = new
            {
                Smtp = $"127.0.0.1:{SmtpPort}",
                Submission = $"127.0.0.1:{SubmissionPort}",
                Submissions = $"127.0.0.1:{SubmissionsPort}",
                Imap = $"127.0.0.1:{ImapPort}",
                Imaps = $"127.0.0.1:{ImapsPort}",
                Pop3 = $"127.0.0.1:{Pop3Port}",
                Pop3s = $"127.0.0.1:{Pop3sPort}",
                ManageSieve = $"127.0.0.1:{ManageSievePort}",
            },
            ["Http"] = new { Listen = $"127.0.0.1:{HttpPort}" },
        };
        Configure(config);
        Cli = CliRunner.WithConfig(Root, config);
    }

    public async Task StartAsync()
    {
        _serve = ServeProcess.Start(Cli.ConfigFile, ServeEnvironment);
        await _serve.WaitForNotificationAsync("READY=1", TimeSpan.FromSeconds(90));
    }

    public async Task StopAsync()
    {
        if (_serve is not null)
        {
            await _serve.DisposeAsync();
            _serve = null;
        }
    }

    /// <summary>SIGKILL, as a power cut or the OOM killer would, then a fresh start on the same data.</summary>
    public async Task KillAndRestartAsync()
    {
        await KillAsync();
        await StartAsync();
    }

    /// <summary>SIGKILL, and no start (<see cref="StartAsync"/> when the test is ready).</summary>
    public async Task KillAsync()
    {
        var serve = Serve;
        serve.Signal(9);
        await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await serve.DisposeAsync();
        _serve = null;
    }

    public ServeProcess Serve => _serve ?? throw new InvalidOperationException("not running");

    public async Task Ok(string arguments, string? stdin = null)
    {
        var result = await Cli.RunAsync(arguments, stdin);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>The files of a user's folder (new/ and cur/), waiting up to 10 s for <paramref name="atLeast"/>.</summary>
    public async Task<IReadOnlyList<string>> MessagesAsync(string localPart, int atLeast = 1, string folder = "")
    {
        var root = Path.Combine(DataDirectory, "mail", "example.test", localPart, "Maildir", folder);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var files = new[] { "new", "cur" }.Select(d => Path.Combine(root, d)).Where(Directory.Exists)
                .SelectMany(Directory.GetFiles).Order(StringComparer.Ordinal).ToList();
            if (files.Count >= atLeast || watch.Elapsed > TimeSpan.FromSeconds(10))
            {
                return files;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Runs a program (swaks, python3) to completion and returns its output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> arguments, string? stdin = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(stdin ?? "");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await output + await error);
    }

    public virtual async Task DisposeAsync()
    {
        await StopAsync();
        await Dns.DisposeAsync();
        TestDirectories.Delete(Root);
    }
}
