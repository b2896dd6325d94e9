using System.Diagnostics;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Pop3;

/// <summary>The real appliance (with its POP3 listeners, as every <see cref="ApplianceFixture"/>) plus POP3 test helpers.</summary>
public sealed class Pop3ApplianceFixture : ApplianceFixture
{
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

    private static string PythonList(IEnumerable<string> values) =>
        "[" + string.Join(", ", values.Select(v => "\"" + v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"")) + "]";
}
