using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.ManageSieve.Tests;

/// <summary>
/// Refused input against the real appliance costs only itself: the next command is read in step (found by the
/// managesieve-command fuzz target; the parser-level cases are in Reliability.Tests' SieveRegressionTests).
/// </summary>
public sealed class HostileInputTests : IClassFixture<ApplianceFixture>
{
    private readonly ApplianceFixture _app;

    public HostileInputTests(ApplianceFixture app) => _app = app;

    [Theory]
    [InlineData("\r\n")]
    [InlineData("NOOP \"a\r\n")]
    public async Task A_refused_line_does_not_take_the_next_command_with_it(string refused)
    {
        await using var s = await ManageSieveClientScript.ConnectAsync(_app.ManageSievePort);
        await s.SendRaw(Encoding.ASCII.GetBytes(refused + "NOOP \"t1\"\r\n"));
        await s.Expect("NO");
        await s.Expect("OK (TAG \"t1\")");
    }

    [Fact]
    public async Task A_line_refused_as_too_long_before_its_end_arrived_is_skipped_to_its_end()
    {
        await using var s = await ManageSieveClientScript.ConnectAsync(_app.ManageSievePort);
        await s.SendRaw(Encoding.ASCII.GetBytes("NOOP \"" + new string('x', 10_000)));
        await s.Expect("NO");
        await s.SendRaw(Encoding.ASCII.GetBytes(new string('x', 100) + "\"\r\nNOOP \"t2\"\r\n"));
        await s.Expect("OK (TAG \"t2\")");
    }

    [Fact]
    public async Task A_command_continued_by_maximal_literals_is_refused_at_the_second()
    {
        await using var s = await ManageSieveClientScript.ConnectAsync(_app.ManageSievePort);
        var literal = "{1048576+}\r\n" + new string('k', 1 << 20);
        await s.SendRaw(Encoding.ASCII.GetBytes("PUTSCRIPT \"s\" " + literal + " " + literal + " " + literal + "\r\nNOOP \"t3\"\r\n"));
        var refusal = await s.Expect("NO");
        Assert.Contains("literal too large", refusal[^1], StringComparison.Ordinal);
        var next = await s.ReadUntilStatusAsync();
        while (!next[^1].StartsWith("OK", StringComparison.Ordinal))
        {
            next = await s.ReadUntilStatusAsync(); // the third literal's octets, refused as lines too long
        }

        Assert.StartsWith("OK (TAG \"t3\")", next[^1], StringComparison.Ordinal);
    }
}
