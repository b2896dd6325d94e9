using System.Text.Json;
using MailAppliance.Testing;

namespace MailAppliance.Tests.Hosting;

/// <summary>The whole life of <c>serve</c> on its embedded PostgreSQL, as an operator lives it.</summary>
public sealed class ServeTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly string _root = TestDirectories.Create("serve");
    private readonly string _config;

    public ServeTests()
    {
        _config = Path.Combine(_root, "appliance.json");
        File.WriteAllText(_config, JsonSerializer.Serialize(new
        {
            Hostname = "mx.example.test",
            Storage = new { DataDirectory = Path.Combine(_root, "data") },
            Auth = new { Pbkdf2Iterations = 1000 },
            Listeners = new { Smtp = "", Submission = "", Submissions = "", Imap = "", Imaps = "", Pop3 = "", Pop3s = "", ManageSieve = "" },
            Http = new { Listen = "" },
        }));
    }

    public void Dispose() => TestDirectories.Delete(_root);

    private string PostmasterPid => Path.Combine(_root, "data", "pg", "postmaster.pid");

    private static string[] EnvironmentOf(int processId) => File.ReadAllText($"/proc/{processId}/environ").Split('\0');

    [Fact]
    public async Task Serve_notifies_systemd_serves_admin_verbs_and_stops_cleanly_then_restarts_on_the_same_data()
    {
        await using (var serve = ServeProcess.Start(_config))
        {
            var ready = await serve.WaitForNotificationAsync("READY=1", Patience);
            Assert.Contains($"MAINPID={serve.ProcessId}", ready, StringComparison.Ordinal);
            Assert.True(File.Exists(PostmasterPid));

            // Serve relaunched itself in place with prompt tiering: same process, same arguments, the variable set.
            Assert.Contains("DOTNET_TC_CallCountingDelayMs=0", EnvironmentOf(serve.ProcessId));
            Assert.Equal(["serve", "--config", _config], File.ReadAllText($"/proc/{serve.ProcessId}/cmdline").TrimEnd('\0').Split('\0')[^3..]);

            // A second shell while serve runs: the verbs use the running cluster.
            var add = await CliRunner.RunProcessAsync(["--config", _config, "domain", "add", "example.test"]);
            Assert.True(add.ExitCode == 0, add.ToString());
            var user = await CliRunner.RunProcessAsync(["--config", _config, "user", "add", "alice@example.test", "--password-stdin"], stdin: "pw\n");
            Assert.True(user.ExitCode == 0, user.ToString());
            var alias = await CliRunner.RunProcessAsync(["--config", _config, "alias", "add", "postmaster@example.test", "alice@example.test"]);
            Assert.True(alias.ExitCode == 0, alias.ToString());
            Assert.True(File.Exists(PostmasterPid), "the verbs must leave the cluster of a running serve alone");

            serve.Signal(ServeProcess.SigTerm);
            await serve.WaitForNotificationAsync("STOPPING=1", Patience);
            Assert.Equal(0, await serve.WaitForExitAsync(Patience));
            Assert.False(File.Exists(PostmasterPid), "serve stops the cluster it was the last user of");

            // JSON lines with a Component on every event (stdout is not a terminal here).
            var events = serve.OutputLines.Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l)).ToList();
            Assert.NotEmpty(events);
            Assert.All(events, e => Assert.False(string.IsNullOrEmpty(e.RootElement.GetProperty("Component").GetString())));
            Assert.Contains(events, e => e.RootElement.GetProperty("Message").GetString()!.Contains("MailAppliance starting as mx.example.test", StringComparison.Ordinal));

            // A clean stop says nothing alarming: the LISTEN connections stopped before the cluster they listened on
            // (they logged its shutdown as a lost connection, with a stack trace each).
            Assert.DoesNotContain(events, e => e.RootElement.GetProperty("Level").GetString() is "Warning" or "Error" or "Fatal");
        }

        // The next start reuses the cluster and the data; Ctrl-C (SIGINT) stops it as cleanly. An operator's own
        // tiering delay is kept.
        await using (var again = ServeProcess.Start(_config, new Dictionary<string, string> { ["DOTNET_TC_CallCountingDelayMs"] = "25" }))
        {
            await again.WaitForNotificationAsync("READY=1", Patience);
            var variables = EnvironmentOf(again.ProcessId);
            Assert.Contains("DOTNET_TC_CallCountingDelayMs=25", variables);
            Assert.DoesNotContain("DOTNET_TC_CallCountingDelayMs=0", variables);
            var users = await CliRunner.RunProcessAsync(["--config", _config, "user", "list"]);
            Assert.Contains("alice@example.test", users.Output, StringComparison.Ordinal);
            var aliases = await CliRunner.RunProcessAsync(["--config", _config, "--json", "alias", "list"]);
            Assert.Contains("postmaster@example.test", aliases.Output, StringComparison.Ordinal);

            again.Signal(ServeProcess.SigInt);
            Assert.Equal(0, await again.WaitForExitAsync(Patience));
            Assert.False(File.Exists(PostmasterPid));
        }
    }

    [Fact]
    public async Task An_admin_verb_without_serve_starts_and_stops_the_cluster_itself()
    {
        var add = await CliRunner.RunProcessAsync(["--config", _config, "domain", "add", "solo.test"]);
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.False(File.Exists(PostmasterPid));
        var list = await CliRunner.RunProcessAsync(["--config", _config, "domain", "list", "--json"]);
        Assert.Contains("\"name\":\"solo.test\"", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_with_an_invalid_setting_does_not_start()
    {
        var result = await CliRunner.RunProcessAsync(["serve", "--config", _config], environment: new Dictionary<string, string> { ["MAILAPPLIANCE_Smtp__MaxRecipients"] = "many" });
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("invalid configuration: Smtp:MaxRecipients: 'many' is not a whole number from 1 to 100000", result.Error.Trim());
        Assert.False(Directory.Exists(Path.Combine(_root, "data", "pg")));
    }
}
