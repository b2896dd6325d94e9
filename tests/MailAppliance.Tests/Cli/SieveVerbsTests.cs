using System.Text.Json;
using MailAppliance.Testing;

namespace MailAppliance.Tests.Cli;

/// <summary>The sieve and vacation verbs as the command line runs them, against a real database and data directory.</summary>
public sealed class SieveVerbsTests : IAsyncLifetime
{
    private string _directory = "";
    private CliRunner _cli = null!;

    private string Home(string local) => Path.Combine(_directory, "data", "mail", "example.test", local);

    public async Task InitializeAsync()
    {
        _directory = TestDirectories.Create("cli-sieve");
        var connectionString = await TestCluster.CreateDatabaseAsync();
        _cli = CliRunner.WithConfig(_directory, new
        {
            ConnectionStrings = new { Metadata = connectionString },
            Storage = new { DataDirectory = Path.Combine(_directory, "data") },
            Auth = new { Pbkdf2Iterations = 1000 },
        });
        await Ok("domain add example.test");
        await Ok("user add alice@example.test");
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
        return result;
    }

    private string File(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Put_activate_list_get_and_deactivate()
    {
        var script = "require \"fileinto\";\r\nif header :contains \"subject\" \"x\" { fileinto \"X\"; }\r\n";
        await Ok($"sieve put alice@example.test rules {File("rules.sieve", script)}");
        await Ok($"sieve activate alice@example.test rules");
        Assert.Equal("sieve/rules.sieve", new FileInfo(Path.Combine(Home("alice"), ".dovecot.sieve")).LinkTarget);

        var list = JsonDocument.Parse((await Ok("--json sieve list alice@example.test")).Output).RootElement;
        Assert.Equal("rules", list[0].GetProperty("name").GetString());
        Assert.True(list[0].GetProperty("active").GetBoolean());
        Assert.Equal(script.Length, list[0].GetProperty("size").GetInt32());

        Assert.Equal(script, (await Ok("sieve get alice@example.test rules")).Output);
        Assert.Equal(script, (await Ok("sieve get alice@example.test")).Output);

        await Ok("sieve activate alice@example.test --none");
        Assert.False(System.IO.File.Exists(Path.Combine(Home("alice"), ".dovecot.sieve")));
        Assert.Contains("rules  no", (await Ok("sieve list alice@example.test")).Output);
    }

    [Fact]
    public async Task A_script_that_does_not_compile_is_refused_with_its_line()
    {
        var result = await _cli.RunAsync($"sieve put alice@example.test bad {File("bad.sieve", "keep;\nfileinto \"x\";\n")}");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: bad: line 2: error: unknown command 'fileinto' (only reported once at first occurrence).", result.Error.Trim());
    }

    [Fact]
    public async Task A_pigeonhole_sieve_directory_is_adopted_as_it_is()
    {
        var home = Home("alice");
        Directory.CreateDirectory(Path.Combine(home, "sieve"));
        System.IO.File.WriteAllText(Path.Combine(home, "sieve", "old.sieve"), "keep;\n");
        System.IO.File.WriteAllText(Path.Combine(home, "sieve", "spam.sieve"), "discard;\n");
        System.IO.File.CreateSymbolicLink(Path.Combine(home, ".dovecot.sieve"), "sieve/old.sieve");

        var list = (await Ok("sieve list alice@example.test")).Output;
        Assert.Matches(@"old\s+yes", list);
        Assert.Matches(@"spam\s+no", list);
        Assert.Equal("keep;\n", (await Ok("sieve get alice@example.test")).Output);
    }

    [Fact]
    public async Task A_plain_dovecot_sieve_file_becomes_dovecot_orig_and_stays_active()
    {
        var home = Home("alice");
        Directory.CreateDirectory(home);
        System.IO.File.WriteAllText(Path.Combine(home, ".dovecot.sieve"), "discard;\n");
        Assert.Matches(@"dovecot\.orig\s+yes", (await Ok("sieve list alice@example.test")).Output);
        Assert.Equal("sieve/dovecot.orig.sieve", new FileInfo(Path.Combine(home, ".dovecot.sieve")).LinkTarget);
    }

    [Fact]
    public async Task Sieve_test_prints_what_sieve_test_prints_and_fails_on_errors()
    {
        var message = File("m.eml", "From: a@example.org\r\nTo: alice@example.test\r\nSubject: invoice 7\r\n\r\nhi\r\n");
        var script = File("t.sieve", "require [\"fileinto\", \"imap4flags\"];\nif header :contains \"subject\" \"invoice\" { addflag \"\\\\Seen\"; fileinto \"Bills\"; }\n");
        var result = await _cli.RunAsync($"sieve test {script} {message} --from a@example.org --to alice@example.test");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("\nPerformed actions:\n\n * store message in folder: Bills\n        + add IMAP flags: \\seen\n\nImplicit keep:\n\n  (none)\n\n", result.Output);

        var broken = File("broken.sieve", "if true {\n  keep\n}\n");
        var failed = await _cli.RunAsync($"sieve test {broken} {message}");
        Assert.Equal(1, failed.ExitCode);
        Assert.StartsWith("broken: line 3: error: ", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Vacation_set_writes_a_dated_script_keeps_the_active_one_and_clear_restores_it()
    {
        await Ok($"sieve put alice@example.test rules {File("r.sieve", "keep;\n")}");
        await Ok("sieve activate alice@example.test rules");
        var body = File("away.txt", "I am away.\n.dot line\n");
        var set = await _cli.RunAsync(["vacation", "set", "alice@example.test", "--subject", "Out of office", "--body-file", body, "--from", "2099-07-01", "--until", "2099-07-14T18:00:00Z", "--days", "3"]);
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("vacation set for alice@example.test", set.Output);
        var script = (await Ok("sieve get alice@example.test")).Output;
        Assert.Contains("vacation :days 3 :subject \"Out of office\"", script);
        Assert.Contains("\"lt\" \"iso8601\" \"2099-07-14T18:00:00\"", script);
        Assert.Contains("\n..dot line\n", script);
        Assert.Contains("include :personal \"rules\";", script);
        Assert.Matches(@"vacation\s+yes", (await Ok("sieve list alice@example.test")).Output);

        // A second set replaces the first and still remembers the script that was active before.
        await Ok($"vacation set alice@example.test --subject Away --body-file {body}");
        Assert.Contains("include :personal \"rules\";", (await Ok("sieve get alice@example.test")).Output);

        await Ok("vacation clear alice@example.test");
        var list = (await Ok("sieve list alice@example.test")).Output;
        Assert.Matches(@"rules\s+yes", list);
        Assert.DoesNotContain("vacation", list);
    }

    [Fact]
    public async Task Vacation_with_a_past_end_date_is_accepted_with_a_warning()
    {
        var result = await _cli.RunAsync($"vacation set alice@example.test --subject Away --body-file {File("b.txt", "Away")} --until 2020-01-31");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("warning: the end date", result.Error);
    }

    [Fact]
    public async Task Vacation_refuses_dates_it_cannot_read()
    {
        var result = await _cli.RunAsync($"vacation set alice@example.test --subject Away --body-file {File("b2.txt", "Away")} --until 31.01.2020");
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Import_procmail_converts_common_recipes_and_reports_the_rest()
    {
        var rc = File("procmailrc", """
            MAILDIR=$HOME/Maildir
            :0:
            * ^Subject:.*\[dev\]
            .Lists.Dev/

            :0 c
            ! archive@example.net

            :0
            * ^From:.*spammer@example\.com
            /dev/null

            :0
            * ^TO_sales@example.test
            .Sales/

            :0
            | /usr/bin/some-program

            :0 Whc: vacation.lock
            * !^FROM_DAEMON
            | formail -rD 8192 vacation.cache

            """);
        var result = await Ok($"sieve import-procmail {rc} --user alice@example.test");
        Assert.Contains("not converted: line 18: | /usr/bin/some-program (pipe to a program)", result.Error);
        Assert.Contains("vacation message file", result.Error);
        var script = (await Ok("sieve get alice@example.test procmail")).Output;
        Assert.Contains("if header :contains \"subject\" \"[dev]\" { fileinto \"Lists/Dev\"; stop; }", script);
        Assert.Contains("redirect :copy \"archive@example.net\";", script);
        Assert.Contains("if header :contains \"from\" \"spammer@example.com\" { discard; stop; }", script);
        Assert.Contains("address :contains [\"to\", \"cc\", \"bcc\", \"resent-to\", \"resent-cc\"] \"sales@example.test\"", script);
        Assert.Contains("vacation :days 7", script);
        Assert.Matches(@"procmail\s+yes", (await Ok("sieve list alice@example.test")).Output);
    }
}
