using MailAppliance.Testing;

namespace MailAppliance.Tests.Configuration;

/// <summary>appsettings.json, then --config, then MAILAPPLIANCE_ variables; checked through the real process.</summary>
public class ConfigurationSourcesTests
{
    [Fact]
    public async Task An_invalid_environment_value_stops_start_up_naming_the_key()
    {
        var result = await CliRunner.RunProcessAsync(["serve"], environment: new Dictionary<string, string> { ["MAILAPPLIANCE_Listeners__Imap"] = "nonsense" });
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("invalid configuration: Listeners:Imap: 'nonsense' is not host:port (for example 127.0.0.1:2525 or [::1]:2525; empty disables)", result.Error.Trim());
    }

    [Fact]
    public async Task The_environment_overrides_the_config_file_which_overrides_appsettings()
    {
        var directory = TestDirectories.Create("config");
        try
        {
            var config = Path.Combine(directory, "c.json");
            await File.WriteAllTextAsync(config, """{ "Smtp": { "MaxRecipients": "zero" }, "Auth": { "Pbkdf2Iterations": "many" } }""");

            var fileWins = await CliRunner.RunProcessAsync(["--config", config, "domain", "list"]);
            Assert.Equal(2, fileWins.ExitCode);
            Assert.Contains("Auth:Pbkdf2Iterations", fileWins.Error, StringComparison.Ordinal);

            var environmentWins = await CliRunner.RunProcessAsync(["--config", config, "domain", "list"],
                environment: new Dictionary<string, string> { ["MAILAPPLIANCE_Auth__Pbkdf2Iterations"] = "5000" });
            Assert.Equal(2, environmentWins.ExitCode);
            Assert.Contains("Smtp:MaxRecipients: 'zero'", environmentWins.Error, StringComparison.Ordinal);
        }
        finally
        {
            TestDirectories.Delete(directory);
        }
    }

    [Fact]
    public async Task A_missing_or_broken_config_file_is_one_clear_line()
    {
        var missing = await CliRunner.RunProcessAsync(["--config", "/nonexistent/mailappliance.json", "domain", "list"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("/nonexistent/mailappliance.json", missing.Error, StringComparison.Ordinal);

        var directory = TestDirectories.Create("config");
        try
        {
            var broken = Path.Combine(directory, "broken.json");
            await File.WriteAllTextAsync(broken, "{ \"Smtp\": ");
            var result = await CliRunner.RunProcessAsync(["--config", broken, "domain", "list"]);
            Assert.Equal(2, result.ExitCode);
            Assert.Single(result.Error.Trim().Split('\n'));
            Assert.StartsWith("invalid configuration: --config:", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            TestDirectories.Delete(directory);
        }
    }
}
