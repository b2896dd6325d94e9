using System.Text.RegularExpressions;
using MailAppliance.Testing;
using Xunit.Abstractions;

namespace MailAppliance.IntegrationTests.Imap.Clients;

/// <summary>
/// Dovecot's imaptest, the compliance and stress tester IMAP implementers use, against the real appliance: its
/// scripted tests (71 groups; Dovecot 2.3 itself: 0 failed of 457 base and 330 extension commands) and its stress
/// mode. The tool is the build in <c>../shared/tools/imaptest/</c> (or <c>IMAPTEST_DIR</c>); it links Debian's
/// libdovecot (package dovecot-core, installed by <c>scripts/install-deps.sh --test</c>).
/// </summary>
public sealed class ImaptestTests(ImaptestTests.Fixture app, ITestOutputHelper output) : IClassFixture<ImaptestTests.Fixture>
{
    /// <summary>The appliance with a throwaway user for imaptest (it deletes and re-creates that user's mailboxes).</summary>
    public sealed class Fixture : ApplianceFixture
    {
        public const string User = "imaptest@example.test";
        public const string Password = "imaptest-password";

        protected override object AuthSettings => new { Pbkdf2Iterations = 1000, AllowPlaintextWithoutTls = true };

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await Ok($"user add {User} --password-stdin", Password + "\n");
        }
    }

    [ImaptestFact]
    public async Task The_scripted_compliance_tests_all_pass_with_every_extension_test_run()
    {
        var (exit, text) = await ApplianceFixture.RunAsync(
            Path.Combine(ImaptestFactAttribute.Require(), "run-scripted.sh"),
            ["127.0.0.1", app.ImapPort.ToString(System.Globalization.CultureInfo.InvariantCulture), Fixture.User, Fixture.Password],
            timeout: TimeSpan.FromMinutes(15));
        output.WriteLine(text);
        var details = Details().Match(text) is { Success: true } d ? File.ReadAllText(d.Groups[1].Value) : "";
        output.WriteLine(details);

        var groups = Summary().Match(text);
        var basic = Commands().Match(text, text.IndexOf("base protocol:", StringComparison.Ordinal) is var b and >= 0 ? b : 0);
        var extensions = Commands().Match(text, text.IndexOf("extensions:", StringComparison.Ordinal) is var e and >= 0 ? e : 0);
        Assert.True(groups.Success && basic.Success && extensions.Success, "imaptest gave no summary:\n" + text);
        Assert.Equal("0", groups.Groups[1].Value);
        Assert.Equal("0", basic.Groups[1].Value);
        Assert.Equal("0", extensions.Groups[1].Value);

        // Dovecot runs 330 extension commands; a server that announces fewer extensions runs fewer of them.
        Assert.True(int.Parse(extensions.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) >= 330, text);
        Assert.Equal(0, exit);
    }

    [ImaptestFact]
    public async Task Ten_clients_of_random_commands_for_thirty_seconds_meet_no_error()
    {
        var (_, text) = await ApplianceFixture.RunAsync(
            Path.Combine(ImaptestFactAttribute.Require(), "imaptest"),
            [
                "host=127.0.0.1", $"port={app.ImapPort}", $"user={Fixture.User}", $"pass={Fixture.Password}",
                "mbox=" + Path.Combine(ImaptestFactAttribute.Require(), "stress.mbox"), "clients=10", "secs=30",
            ],
            timeout: TimeSpan.FromMinutes(3));
        output.WriteLine(text);

        // What the server logged above information, so that a failure says why.
        foreach (var line in app.Serve.OutputLines.Where(l => l.Contains("\"Level\":\"Warning\"", StringComparison.Ordinal) || l.Contains("\"Level\":\"Error\"", StringComparison.Ordinal)))
        {
            output.WriteLine(line);
        }

        Assert.Contains("Totals:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Error:", text, StringComparison.Ordinal);
    }

    private static Regex Summary() => new(@"\d+ test groups: (\d+) failed", RegexOptions.None, TimeSpan.FromSeconds(1));

    private static Regex Commands() => new(@"(\d+)/(\d+) individual commands failed", RegexOptions.None, TimeSpan.FromSeconds(1));

    private static Regex Details() => new(@"details: (\S+)", RegexOptions.None, TimeSpan.FromSeconds(1));
}

/// <summary>
/// A test that needs imaptest: skipped, saying why, only where Dovecot's library (dovecot-core) is not installed;
/// a missing imaptest build is a failure of the test environment, not a skip.
/// </summary>
public sealed class ImaptestFactAttribute : FactAttribute
{
    private const string Library = "/usr/lib/dovecot/libdovecot.so.0";

    public ImaptestFactAttribute()
    {
        if (!File.Exists(Library))
        {
            Skip = $"imaptest needs Debian's dovecot-core ({Library} is missing): run scripts/install-deps.sh --test";
        }
    }

    /// <summary>IMAPTEST_DIR, else <c>../shared/tools/imaptest</c> beside the checkout (found from the test's directory upwards).</summary>
    public static string? Directory { get; } = Find();

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("IMAPTEST_DIR") is { Length: > 0 } configured)
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "tools", "imaptest");
            if (File.Exists(Path.Combine(candidate, "imaptest")))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The imaptest directory; a clear failure when there is none.</summary>
    public static string Require() =>
        Directory ?? throw new InvalidOperationException("imaptest not found: set IMAPTEST_DIR to the directory holding imaptest and run-scripted.sh (normally ../shared/tools/imaptest)");
}
