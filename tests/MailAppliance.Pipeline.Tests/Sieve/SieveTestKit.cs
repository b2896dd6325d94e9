using System.Text;
using MailAppliance.Pipeline.Sieve;

namespace MailAppliance.Pipeline.Tests.Sieve;

/// <summary>A clock that stands still at a given instant, in a given zone.</summary>
public sealed class FixedClock(DateTimeOffset now, TimeZoneInfo? zone = null) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now.ToUniversalTime();

    public override TimeZoneInfo LocalTimeZone => zone ?? TimeZoneInfo.Utc;
}

/// <summary>Scripts from a dictionary, for include (RFC 6609).</summary>
public sealed class ScriptsInMemory(Dictionary<string, string> personal) : ISieveScriptSource
{
    public ValueTask<string?> GetScriptAsync(bool global, string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(global ? null : personal.GetValueOrDefault(name));
}

public static class SieveTestKit
{
    public const string Message = """
        Return-Path: <alice@example.org>
        From: Alice <alice@example.org>
        To: bob@example.test
        Subject: Quarterly report
        Message-ID: <q1@example.org>
        Date: Mon, 1 Jun 2026 10:15:30 +0200

        The report is attached.

        """;

    public static async Task<SieveResult> RunAsync(string script, string? message = null, TimeProvider? time = null,
        SieveUserContext? user = null, SieveEnvelope? envelope = null, bool dryRun = true, SieveLimits? limits = null)
    {
        var compiled = SieveCompiler.Compile("test", script, limits);
        Assert.True(compiled.Succeeded, string.Join("\n", compiled.Diagnostics.Select(d => d.Format("test"))));
        var interpreter = new SieveInterpreter(time ?? TimeProvider.System, new SieveScriptCache(limits));
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes((message ?? Message).ReplaceLineEndings("\r\n")));
        return await interpreter.RunAsync(compiled.Script!,
            new SieveRunInput(envelope ?? new SieveEnvelope("alice@example.org", "bob@example.test"), stream, user ?? new SieveUserContext(0, "bob@example.test", ["bob@example.test"])) { DryRun = dryRun },
            CancellationToken.None);
    }

    public static IReadOnlyList<string> Folders(SieveResult result) => result.Stores.Select(s => s.Folder).ToList();
}
