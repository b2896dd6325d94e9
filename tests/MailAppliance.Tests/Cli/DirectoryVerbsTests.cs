using System.Text.Json;
using MailAppliance.Testing;

namespace MailAppliance.Tests.Cli;

/// <summary>The domain, user and alias verbs, run exactly as the command line runs them, against a real database.</summary>
public sealed class DirectoryVerbsTests : IAsyncLifetime
{
    private string _directory = "";
    private CliRunner _cli = null!;

    public async Task InitializeAsync()
    {
        _directory = TestDirectories.Create("cli");
        var connectionString = await TestCluster.CreateDatabaseAsync();
        _cli = CliRunner.WithConfig(_directory, new
        {
            ConnectionStrings = new { Metadata = connectionString },
            Storage = new { DataDirectory = Path.Combine(_directory, "data") },
            Auth = new { Pbkdf2Iterations = 1000 },
        });
    }

    public Task DisposeAsync()
    {
        TestDirectories.Delete(_directory);
        return Task.CompletedTask;
    }

    private async Task<CliResult> Ok(string arguments, string? stdin = null)
    {
        var result = await _cli.RunAsync(arguments, stdin);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
        return result;
    }

    private async Task<string> Fails(string arguments, int exitCode = 1, string? stdin = null)
    {
        var result = await _cli.RunAsync(arguments, stdin);
        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Equal("", result.Output);
        var line = Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        return line;
    }

    [Fact]
    public async Task Domain_add_list_remove()
    {
        Assert.Equal("added domain example.test\n", (await Ok("domain add Example.TEST")).Output);
        await Ok("domain add bücher.test");
        var table = (await Ok("domain list")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["DOMAIN", "UNICODE", "USERS", "ALIASES"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(table, l => l.StartsWith("example.test", StringComparison.Ordinal));
        Assert.Contains(table, l => l.StartsWith("xn--bcher-kva.test  bücher.test", StringComparison.Ordinal));

        using var json = JsonDocument.Parse((await Ok("domain list --json")).Output);
        Assert.Equal(2, json.RootElement.GetArrayLength());
        Assert.Equal("example.test", json.RootElement[0].GetProperty("name").GetString());

        await Ok("domain remove example.test");
        Assert.DoesNotContain("example.test  ", (await Ok("domain list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Domain_errors_are_one_line_each()
    {
        await Ok("domain add example.test");
        Assert.Equal("error: domain example.test already exists", await Fails("domain add example.test"));
        Assert.Equal("error: unknown domain nowhere.test", await Fails("domain remove nowhere.test"));
        Assert.Contains("not a valid domain", await Fails("domain add bad_domain.test"), StringComparison.Ordinal);
        await Ok("user add a@example.test");
        Assert.Contains("still has 1 user(s)", await Fails("domain remove example.test"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_add_with_password_from_stdin_and_quota()
    {
        await Ok("domain add example.test");
        Assert.Equal("added user alice@example.test\n", (await Ok("user add alice@example.test --password-stdin --quota 2G", "s3cret pass\n")).Output);
        await Ok("user add nopass@example.test");

        using var json = JsonDocument.Parse((await Ok("user list --json")).Output);
        var alice = json.RootElement.EnumerateArray().Single(u => u.GetProperty("address").GetString() == "alice@example.test");
        Assert.Equal(2L << 30, alice.GetProperty("quotaBytes").GetInt64());
        Assert.True(alice.GetProperty("hasPassword").GetBoolean());
        var nopass = json.RootElement.EnumerateArray().Single(u => u.GetProperty("address").GetString() == "nopass@example.test");
        Assert.False(nopass.GetProperty("hasPassword").GetBoolean());

        var table = (await Ok("user list example.test")).Output;
        Assert.Contains("alice@example.test", table, StringComparison.Ordinal);
        Assert.Contains("2 GiB", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_stored_password_verifies_and_passwd_changes_it()
    {
        await Ok("domain add example.test");
        await Ok("user add bob@example.test --password-stdin", "first\n");
        var hasher = new MailAppliance.Core.Security.PasswordHasher(1000);
        var directory = await DirectoryAsync();
        var login = (await directory.FindLoginAsync(MailAppliance.Core.Addresses.MailAddress.Parse("bob@example.test")))!.Value;
        Assert.NotEqual(MailAppliance.Core.Security.PasswordVerification.Failed, hasher.Verify("first", login.PasswordHash));

        await Ok("user passwd BOB@example.test --password-stdin", "second\r\n");
        login = (await directory.FindLoginAsync(MailAppliance.Core.Addresses.MailAddress.Parse("bob@example.test")))!.Value;
        Assert.Equal(MailAppliance.Core.Security.PasswordVerification.Failed, hasher.Verify("first", login.PasswordHash));
        Assert.NotEqual(MailAppliance.Core.Security.PasswordVerification.Failed, hasher.Verify("second", login.PasswordHash));
    }

    [Fact]
    public async Task User_errors_are_one_line_each()
    {
        await Ok("domain add example.test");
        await Ok("user add carol@example.test");
        Assert.Equal("error: Carol@example.test already exists as a user", await Fails("user add Carol@Example.test"));
        Assert.Equal("error: unknown domain other.test (add it with: domain add other.test)", await Fails("user add x@other.test"));
        Assert.Contains("is not a valid address", await Fails("user add not-an-address"), StringComparison.Ordinal);
        Assert.Contains("is not a valid address", await Fails("user add a..b@example.test"), StringComparison.Ordinal);
        Assert.Equal("error: unknown user ghost@example.test", await Fails("user remove ghost@example.test"));
        Assert.Equal("error: unknown user ghost@example.test", await Fails("user passwd ghost@example.test --password-stdin", stdin: "pw\n"));
        Assert.Contains("--password-stdin", await Fails("user passwd carol@example.test", exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("no password on standard input", await Fails("user add dan@example.test --password-stdin", exitCode: 2, stdin: ""), StringComparison.Ordinal);
        Assert.Contains("--quota", await Fails("user add dan@example.test --quota lots", exitCode: 2), StringComparison.Ordinal);
        Assert.DoesNotContain("dan@example.test", (await Ok("user list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alias_add_list_remove()
    {
        await Ok("domain add example.test");
        await Ok("user add erin@example.test");
        Assert.Equal("alias postmaster@example.test -> erin@example.test, ops@partner.example\n",
            (await Ok("alias add postmaster@example.test erin@example.test ops@partner.example")).Output);
        var table = (await Ok("alias list")).Output;
        Assert.Contains("postmaster@example.test  erin@example.test, ops@partner.example", table, StringComparison.Ordinal);

        using (var json = JsonDocument.Parse((await Ok("alias list --json")).Output))
        {
            var targets = json.RootElement[0].GetProperty("targets").EnumerateArray().Select(t => t.GetString()).ToList();
            Assert.Equal(["erin@example.test", "ops@partner.example"], targets);
        }

        await Ok("alias remove postmaster@example.test ops@partner.example");
        Assert.DoesNotContain("ops@partner.example", (await Ok("alias list")).Output, StringComparison.Ordinal);
        await Ok("alias remove postmaster@example.test");
        Assert.DoesNotContain("postmaster", (await Ok("alias list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alias_errors_are_one_line_each_and_write_nothing()
    {
        await Ok("domain add example.test");
        await Ok("user add frank@example.test");
        await Ok("alias add a@example.test frank@example.test");
        await Ok("alias add b@example.test a@example.test");
        Assert.Equal("error: alias a@example.test would lead back to itself (alias loop)", await Fails("alias add a@example.test b@example.test"));
        Assert.Equal("error: alias c@example.test cannot point to itself", await Fails("alias add c@example.test c@example.test"));
        Assert.Contains("neither a user nor an alias", await Fails("alias add d@example.test frank@example.test franc@example.test"), StringComparison.Ordinal);
        Assert.Contains("unknown domain", await Fails("alias add x@else.test frank@example.test"), StringComparison.Ordinal);
        Assert.Contains("is a user", await Fails("alias add frank@example.test other@partner.example"), StringComparison.Ordinal);
        Assert.Contains("usage: alias add ALIAS TARGET", await Fails("alias add lonely@example.test", exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("is a target of alias b@example.test", await Fails("alias remove a@example.test"), StringComparison.Ordinal);
        Assert.Contains("is a target of alias a@example.test", await Fails("user remove frank@example.test"), StringComparison.Ordinal);

        var aliases = (await Ok("alias list")).Output;
        Assert.DoesNotContain("d@example.test", aliases, StringComparison.Ordinal);
        Assert.DoesNotContain("c@example.test", aliases, StringComparison.Ordinal);
        Assert.Contains("a@example.test  frank@example.test\n", aliases, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_commands_and_options_are_usage_errors()
    {
        Assert.Contains("unknown command", await Fails("frobnicate", exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("unknown command", await Fails("user explode x@example.test", exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("unknown option --force", await Fails("domain add x.test --force", exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("usage: domain add DOMAIN", await Fails("domain add", exitCode: 2), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_every_verb()
    {
        var help = (await Ok("--help")).Output;
        foreach (var verb in new[] { "serve", "domain add", "domain remove", "domain list", "user add ADDRESS [--password-stdin] [--quota SIZE]", "user passwd", "user remove", "user list", "alias add ALIAS TARGET...", "alias remove", "alias list" })
        {
            Assert.Contains(verb, help, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_unreachable_database_is_one_line_and_a_failure()
    {
        var cli = CliRunner.WithConfig(_directory, new { ConnectionStrings = new { Metadata = "Host=/nonexistent-socket-dir;Username=x;Database=y;Timeout=2" } });
        var result = await cli.RunAsync("domain list");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: database unreachable: ", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    private async Task<MailAppliance.Storage.Accounts.AccountDirectory> DirectoryAsync()
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(_cli.ConfigFile))!;
        var database = MailAppliance.Storage.Database.StorageDatabase.Create(config["ConnectionStrings"]!["Metadata"]!.GetValue<string>());
        return new MailAppliance.Storage.Accounts.AccountDirectory(database);
    }
}
