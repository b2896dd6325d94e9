using System.Text;
using System.Text.Json;
using MailAppliance.Testing;

namespace MailAppliance.Tests.Cli;

/// <summary>The spam verbs run as the command line runs them, against a real database.</summary>
public sealed class SpamVerbsTests : IAsyncLifetime
{
    private const string Gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
    private string _directory = "";
    private CliRunner _cli = null!;

    public async Task InitializeAsync()
    {
        _directory = TestDirectories.Create("cli-spam");
        var connectionString = await TestCluster.CreateDatabaseAsync();
        _cli = CliRunner.WithConfig(_directory, new
        {
            ConnectionStrings = new { Metadata = connectionString },
            Storage = new { DataDirectory = Path.Combine(_directory, "data") },
            Auth = new { Pbkdf2Iterations = 1000 },
        });
        await Ok("domain add example.test");
        await Ok("domain add other.test");
        await Ok("user add bob@example.test");
        await Ok("user add carol@example.test");
        await Ok("user add dave@other.test");
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

    private string Write(string name, string body, string subject = "Meeting notes", string from = "alice@sender.test")
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, $"From: {from}\r\nTo: bob@example.test\r\nSubject: {subject}\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n" +
            $"Message-ID: <{name}.{Guid.NewGuid():N}@sender.test>\r\n\r\n{body}\r\n");
        return path;
    }

    private async Task<JsonElement> CheckJson(string arguments)
    {
        var result = await Ok("spam check --json " + arguments);
        return JsonDocument.Parse(result.Output).RootElement;
    }

    [Fact]
    public async Task Check_scores_each_file_and_names_unreadable_ones()
    {
        var spam = Write("gtube.eml", "Hello\r\n" + Gtube);
        var ham = Write("ham.eml", "See you at the meeting on Friday.");
        var missing = Path.Combine(_directory, "missing.eml");
        var json = await CheckJson($"{spam} {missing} {ham}");
        Assert.Equal(3, json.GetArrayLength());

        var first = json[0];
        Assert.Equal(spam, first.GetProperty("file").GetString());
        Assert.True(first.GetProperty("score").GetDouble() >= 1000);
        Assert.Equal(5.0, first.GetProperty("required").GetDouble());
        Assert.Equal(15.0, first.GetProperty("reject").GetDouble());
        Assert.True(first.GetProperty("spam").GetBoolean());
        Assert.Equal("reject", first.GetProperty("verdict").GetString());
        Assert.False(first.GetProperty("partial").GetBoolean());
        Assert.Contains(first.GetProperty("symbols").EnumerateArray(), s => s.GetProperty("name").GetString() == "GTUBE" && s.GetProperty("score").GetDouble() == 1000);

        Assert.Equal(missing, json[1].GetProperty("file").GetString());
        Assert.False(string.IsNullOrEmpty(json[1].GetProperty("error").GetString()));
        Assert.False(json[1].TryGetProperty("score", out _));

        Assert.Equal("ham", json[2].GetProperty("verdict").GetString());
        Assert.False(json[2].GetProperty("spam").GetBoolean());

        var none = await _cli.RunAsync($"spam check {missing}");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("no message could be scored", none.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_reads_standard_input()
    {
        var message = "From: a@sender.test\r\nSubject: x\r\n\r\n" + Gtube + "\r\n";
        var result = await Ok("spam check -", message);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("FILE", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("-", lines[1], StringComparison.Ordinal);
        Assert.Contains("reject", lines[1], StringComparison.Ordinal);
        Assert.Contains("GTUBE=1000", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Per_user_thresholds_and_lists_change_the_outcome_for_that_user_only()
    {
        var caps = Write("caps.eml", "Nothing special in here at all, honestly.", subject: "URGENT OFFER FOR YOU TODAY");
        Assert.Equal("ham", (await CheckJson($"{caps} --user bob@example.test"))[0].GetProperty("verdict").GetString());

        await Ok("spam threshold tag 0.5 --user bob@example.test");
        Assert.Equal("spam", (await CheckJson($"{caps} --user bob@example.test"))[0].GetProperty("verdict").GetString());
        Assert.Equal("ham", (await CheckJson($"{caps} --user carol@example.test"))[0].GetProperty("verdict").GetString());

        await Ok("spam block sender.test --domain example.test");
        var blocked = (await CheckJson($"{caps} --user carol@example.test"))[0];
        Assert.Contains(blocked.GetProperty("symbols").EnumerateArray(), s => s.GetProperty("name").GetString() == "USER_IN_BLOCKLIST" && s.GetProperty("score").GetDouble() == 100);
        Assert.Equal("ham", (await CheckJson($"{caps} --user dave@other.test"))[0].GetProperty("verdict").GetString());

        // A user's allow entry beats the domain's block, but without SPF or DKIM it is not believed.
        await Ok("spam allow alice@sender.test --user carol@example.test");
        var allowed = (await CheckJson($"{caps} --user carol@example.test"))[0];
        var names = allowed.GetProperty("symbols").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Contains("ALLOWLIST_NOT_AUTHENTICATED", names);
        Assert.DoesNotContain("USER_IN_BLOCKLIST", names);
        Assert.DoesNotContain("USER_IN_ALLOWLIST", names);
    }

    [Fact]
    public async Task Show_lists_each_level_and_the_effective_policy()
    {
        await Ok("spam threshold reject 12 --domain example.test");
        await Ok("spam threshold tag 4 --user bob@example.test");
        Assert.Equal("{\"threshold\":\"discard-forward\",\"value\":1,\"level\":\"user\",\"name\":\"bob@example.test\"}\n",
            (await Ok("spam threshold discard-forward 1 --user bob@example.test --json")).Output);
        await Ok("spam allow friend.test");
        await Ok("spam block spammer@bad.test --user bob@example.test");
        var json = JsonDocument.Parse((await Ok("spam show --user bob@example.test --json")).Output).RootElement;
        Assert.Equal(["effective", "global", "domain", "user"], json.EnumerateArray().Select(r => r.GetProperty("level").GetString()));
        var effective = json[0];
        Assert.Equal(4, effective.GetProperty("tag").GetDouble());
        Assert.Equal(12, effective.GetProperty("reject").GetDouble());
        Assert.Equal(1, effective.GetProperty("discardForward").GetDouble());
        Assert.Equal(["friend.test"], json[1].GetProperty("allow").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["spammer@bad.test"], json[3].GetProperty("block").EnumerateArray().Select(e => e.GetString()));

        var table = (await Ok("spam show --domain example.test")).Output;
        Assert.Contains("domain", table, StringComparison.Ordinal);
        Assert.Equal(1, (await _cli.RunAsync("spam show --domain nowhere.test")).ExitCode);
        Assert.Equal(1, (await _cli.RunAsync("spam show --user nobody@example.test")).ExitCode);
        Assert.Equal(2, (await _cli.RunAsync("spam threshold tag x")).ExitCode);
    }

    [Fact]
    public async Task Learning_spam_and_ham_makes_the_classifier_speak_for_similar_mail()
    {
        var spamDir = Path.Combine(_directory, "Junk", "cur");
        var hamDir = Path.Combine(_directory, "Inbox", "new");
        Directory.CreateDirectory(spamDir);
        Directory.CreateDirectory(hamDir);
        for (var i = 0; i < 12; i++)
        {
            File.WriteAllText(Path.Combine(spamDir, $"{i}.eml"), Message($"Cheap replica watches {i}", $"Buy cheap replica watches and designer handbags now, discount {i} percent, limited offer, order today at our online shop."));
            File.WriteAllText(Path.Combine(hamDir, $"{i}.eml"), Message($"Project status {i}", $"Hi team, the build for milestone {i} passed; please review the release notes and the test plan before the meeting."));
        }

        var before = (await CheckJson($"{Write("probe.eml", "Cheap replica watches and designer handbags, big discount, order now from our shop.")} --user bob@example.test"))[0];
        Assert.Contains(before.GetProperty("symbols").EnumerateArray(), s => s.GetProperty("name").GetString() == "CLASSIFIER_UNTRAINED");

        var learned = await Ok($"spam learn spam {Path.Combine(_directory, "Junk")} --user bob@example.test --json");
        Assert.Equal(12, JsonDocument.Parse(learned.Output).RootElement.GetProperty("learned").GetInt32());
        await Ok($"spam learn ham {Path.Combine(_directory, "Inbox")} --user bob@example.test");
        Assert.Contains("already learned 12", (await Ok($"spam learn ham {Path.Combine(_directory, "Inbox")} --user bob@example.test")).Output, StringComparison.Ordinal);

        var probe = Write("probe2.eml", "Cheap replica watches and designer handbags, big discount, order now from our shop.");
        var after = (await CheckJson($"{probe} --user bob@example.test"))[0];
        var symbol = after.GetProperty("symbols").EnumerateArray().Single(s => s.GetProperty("name").GetString()!.StartsWith("CLASSIFIER_", StringComparison.Ordinal));
        Assert.Equal("CLASSIFIER_SPAM", symbol.GetProperty("name").GetString());
        Assert.True(symbol.GetProperty("score").GetDouble() > 0);
        var hamProbe = (await CheckJson($"{Write("probe3.eml", "Hi team, the build passed; please review the release notes before the meeting.")} --user bob@example.test"))[0];
        Assert.Contains(hamProbe.GetProperty("symbols").EnumerateArray(), s => s.GetProperty("name").GetString() == "CLASSIFIER_HAM");

        var show = JsonDocument.Parse((await Ok("spam show --user bob@example.test --json")).Output).RootElement;
        Assert.Equal(12, show[3].GetProperty("spamLearned").GetInt64());
        Assert.Equal(12, show[1].GetProperty("hamLearned").GetInt64()); // the global model learned too

        static string Message(string subject, string body) =>
            $"From: someone@sender.test\r\nTo: bob@example.test\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@sender.test>\r\n\r\n{body}\r\n";
    }
}
