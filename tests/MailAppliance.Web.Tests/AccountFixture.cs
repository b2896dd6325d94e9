using MailAppliance.Testing;

namespace MailAppliance.Web.Tests;

/// <summary>
/// A serve for the user pages: a rule that scores 7 (Junk at the default tag threshold 5, under reject 15), forwards
/// not sent on from 6.0, and from 2.0 to strict.test (<c>Forwarding:DiscardThresholds</c>).
/// </summary>
public sealed class AccountFixture : WebFixture
{
    protected override void Configure(Dictionary<string, object> config)
    {
        var rules = Path.Combine(Root, "rules.cf");
        File.WriteAllText(rules, "header SCORE_SEVEN Subject =~ /score seven/\nscore SCORE_SEVEN 7.0\n");
        config["Spam"] = new { RulesFile = rules };
        config["Forwarding"] = new { DiscardThreshold = 6.0, DiscardThresholds = new Dictionary<string, double> { ["strict.test"] = 2.0 } };
    }

    /// <summary>A new user with its own password (each test its own, so tests never see each other's settings).</summary>
    public async Task<string> NewUserAsync(string localPart)
    {
        var address = $"{localPart}@example.test";
        await Ok($"user add {address} --password-stdin", localPart + "pw\n");
        return address;
    }

    /// <summary>The CLI's output of a command that must succeed.</summary>
    public async Task<string> OutputAsync(string arguments)
    {
        var result = await Cli.RunAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Output;
    }
}
