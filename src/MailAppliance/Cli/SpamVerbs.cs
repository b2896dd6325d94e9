using System.Globalization;
using System.Text.Json.Serialization;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Scoring;
using MailAppliance.Pipeline.Scoring.Checks;
using MailAppliance.Pipeline.Scoring.Classifier;
using MailAppliance.Pipeline.Scoring.Policy;
using MailAppliance.Pipeline.Scoring.Rules;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Spam;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Cli;

/// <summary><c>spam check|learn|allow|block|threshold|show</c>: scoring from the command line and the spam policy.</summary>
public static class SpamVerbs
{
    public static async Task Check(AdminContext c)
    {
        if (c.Arguments.Count == 0)
        {
            throw new UsageException("usage: spam check FILE...|- [--user ADDRESS] [--json]");
        }

        var user = await UserKeyAsync(c);
        var scanner = Scanner(c);
        var results = new List<CheckResult>();
        foreach (var file in c.Arguments)
        {
            try
            {
                await using var stream = file == "-" ? await SpoolStandardInputAsync(c) : File.OpenRead(file);
                var scan = await scanner.CheckAsync(stream, user, c.CancellationToken);
                results.Add(new CheckResult(file, Math.Round(scan.Score, 3), scan.TagThreshold, scan.RejectThreshold, scan.IsSpam,
                    scan.Verdict.ToString().ToLowerInvariant(), scan.Partial, scan.Symbols.Select(s => new SymbolResult(s.Name, Math.Round(s.Score, 3))).ToList(), null));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                results.Add(new CheckResult(file, null, null, null, null, null, null, null, e.Message));
                await c.Progress.WriteLineAsync($"error: {file}: {e.Message}");
            }
        }

        if (c.Output.Json)
        {
            c.Output.Document(results);
        }
        else
        {
            c.Output.Table(results.Where(r => r.Error is null).ToList(), ["FILE", "VERDICT", "SCORE", "REQUIRED", "TESTS"], r =>
            [
                r.File, r.Verdict!, Format(r.Score!.Value), Format(r.Required!.Value),
                string.Join(",", r.Symbols!.Select(s => $"{s.Name}={Format(s.Score)}")),
            ]);
        }

        if (results.All(r => r.Error is not null))
        {
            throw new CommandFailedException("no message could be scored");
        }
    }

    public static async Task Learn(AdminContext c)
    {
        if (c.Arguments.Count < 2 || c.Arguments[0] is not ("spam" or "ham"))
        {
            throw new UsageException("usage: spam learn spam|ham PATH... [--user ADDRESS]");
        }

        var spam = c.Arguments[0] == "spam";
        var user = await UserKeyAsync(c);
        var scanner = Scanner(c);
        int learned = 0, already = 0, relearned = 0, failed = 0;
        foreach (var file in c.Arguments.Skip(1).SelectMany(MessageFiles))
        {
            try
            {
                await using var stream = File.OpenRead(file);
                switch (await scanner.LearnAsync(stream, spam, user, c.CancellationToken))
                {
                    case LearnOutcome.Learned: learned++; break;
                    case LearnOutcome.Relearned: relearned++; break;
                    default: already++; break;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failed++;
                await c.Progress.WriteLineAsync($"error: {file}: {e.Message}");
            }
        }

        var total = learned + relearned + already + failed;
        if (total == 0)
        {
            throw new CommandFailedException("no message found in the given paths");
        }

        c.Output.Done($"learned {learned} as {c.Arguments[0]}, relearned {relearned}, already learned {already}, failed {failed}",
            new { learned, relearned, alreadyLearned = already, failed, @as = c.Arguments[0], user });
        if (failed == total)
        {
            throw new CommandFailedException("no message could be learned");
        }
    }

    public static Task Allow(AdminContext c) => SetListEntry(c, allow: true);

    public static Task Block(AdminContext c) => SetListEntry(c, allow: false);

    public static async Task Threshold(AdminContext c)
    {
        const string Usage = "usage: spam threshold tag|reject|discard-forward N [--user ADDRESS | --domain DOMAIN]";
        if (c.Arguments.Count != 2)
        {
            throw new UsageException(Usage);
        }

        if (!SpamSettingInput.TryParseKind(c.Arguments[0], out var kind))
        {
            throw new UsageException(Usage);
        }

        if (!SpamSettingInput.TryParseThreshold(c.Arguments[1], out var value, out var error))
        {
            throw new UsageException(error);
        }

        var scope = await ScopeAsync(c);
        await new SpamSettingsStore(c.Database).SetThresholdAsync(scope, kind, value, c.CancellationToken);
        c.Output.Done($"{c.Arguments[0]} threshold {Format(value)} for {scope}",
            new { threshold = c.Arguments[0], value, level = Level(scope), name = scope.Name });
    }

    public static async Task Show(AdminContext c)
    {
        if (c.Arguments.Count != 0)
        {
            throw new UsageException("usage: spam show [--user ADDRESS | --domain DOMAIN]");
        }

        var scope = await ScopeAsync(c);
        var scopes = scope.Kind switch
        {
            SpamScopeKind.User => SpamPolicy.ScopesFor(scope.Name),
            SpamScopeKind.Domain => [SpamScope.Global, scope],
            _ => [SpamScope.Global],
        };
        var rows = await new SpamSettingsStore(c.Database).ReadAsync(scopes, c.CancellationToken);
        var effective = SpamPolicy.Resolve(rows, c.Options.Spam);
        var classifier = new ClassifierStore(c.Database);
        var levels = new List<ShowRow>
        {
            new("effective", scope.Name, effective.TagThreshold, effective.RejectThreshold, effective.DiscardForwardThreshold,
                [.. DecidingEntries(effective, true)], [.. DecidingEntries(effective, false)], null, null),
        };
        foreach (var s in scopes)
        {
            var settings = rows.Thresholds.FirstOrDefault(r => r.Scope == s);
            var owner = s.Kind == SpamScopeKind.Global ? "" : s.Kind == SpamScopeKind.User ? s.Name : null;
            var learned = owner is null ? null : await classifier.OwnerAsync(owner, c.CancellationToken);
            levels.Add(new ShowRow(Level(s), s.Name, settings?.Tag ?? (s.Kind == SpamScopeKind.Global ? c.Options.Spam.TagThreshold : null),
                settings?.Reject ?? (s.Kind == SpamScopeKind.Global ? c.Options.Spam.RejectThreshold : null), settings?.DiscardForward,
                [.. rows.Entries.Where(e => e.Scope == s && e.Allow).Select(e => e.Entry)],
                [.. rows.Entries.Where(e => e.Scope == s && !e.Allow).Select(e => e.Entry)],
                owner is null ? null : learned?.SpamLearned ?? 0, owner is null ? null : learned?.HamLearned ?? 0));
        }

        c.Output.Table(levels, ["LEVEL", "NAME", "TAG", "REJECT", "DISCARD-FORWARD", "ALLOW", "BLOCK", "LEARNED"], r =>
        [
            r.Level, r.Name.Length == 0 ? "-" : r.Name, Format(r.Tag), Format(r.Reject), Format(r.DiscardForward),
            r.Allow.Count == 0 ? "-" : string.Join(",", r.Allow), r.Block.Count == 0 ? "-" : string.Join(",", r.Block),
            r.SpamLearned is null ? "-" : $"{r.SpamLearned} spam, {r.HamLearned} ham",
        ]);
    }

    /// <summary>The scanner as delivery would use it, minus the network (no envelope on the command line).</summary>
    private static SpamScanner Scanner(AdminContext c)
    {
        var options = c.Options.Spam;
        RulesSource rules;
        try
        {
            rules = RulesSource.Load(options.RulesFile, TimeProvider.System, NullLogger.Instance);
        }
        catch (RulesException e)
        {
            throw new CommandFailedException(e.Message);
        }

        ClamdClient? clamd = options.Clamd is { } endpoint && ClamdClient.TryParseEndpoint(endpoint, out var parsed) ? new ClamdClient(parsed!) : null;
        var classifier = new SpamClassifier(new ClassifierStore(c.Database), TimeProvider.System, options.ClassifierMinimumLearned);
        return new SpamScanner(options, rules, classifier, new SpamSettingsStore(c.Database), clamd, null, TimeProvider.System,
            NullLogger.Instance, c.Options.Hostname, _ => false);
    }

    private static async Task SetListEntry(AdminContext c, bool allow)
    {
        var verb = allow ? "allow" : "block";
        if (c.Arguments.Count != 1)
        {
            throw new UsageException($"usage: spam {verb} ADDRESS-OR-DOMAIN [--user ADDRESS | --domain DOMAIN]");
        }

        if (!SpamSettingInput.TryParseEntry(c.Arguments[0], out var entry, out var error))
        {
            throw new UsageException(error);
        }

        var scope = await ScopeAsync(c);
        await new SpamSettingsStore(c.Database).SetListEntryAsync(scope, entry, allow, c.CancellationToken);
        c.Output.Done($"{verb} {entry} for {scope}", new { action = verb, entry, level = Level(scope), name = scope.Name });
    }

    private static IEnumerable<string> DecidingEntries(SpamPolicy policy, bool allow) =>
        policy.Entries.Where(e => e.Allow == allow).Select(e => e.Entry).Distinct(StringComparer.Ordinal);

    /// <summary>The level named by --user or --domain (both is an error), global without either.</summary>
    private static async Task<SpamScope> ScopeAsync(AdminContext c)
    {
        var (scope, error, message) = await SpamSettingInput.ResolveScopeAsync(c.Directory, c.Command.Value("--user"), c.Command.Value("--domain"), c.CancellationToken);
        return error switch
        {
            SpamInputError.None => scope!,
            SpamInputError.Malformed => throw new UsageException(message),
            _ => throw new CommandFailedException(message),
        };
    }

    /// <summary>--user as an address key of an existing user, null without --user.</summary>
    private static async Task<string?> UserKeyAsync(AdminContext c) =>
        c.Command.Value("--user") is null ? null : (await ScopeAsync(c)).Name;

    /// <summary>A file, or the messages of a maildir folder (cur/ and new/) or of a plain directory.</summary>
    private static IEnumerable<string> MessageFiles(string path)
    {
        if (File.Exists(path))
        {
            return [path];
        }

        if (!Directory.Exists(path))
        {
            throw new CommandFailedException($"{path}: no such file or directory");
        }

        var folders = new[] { "cur", "new" }.Select(d => Path.Combine(path, d)).Where(Directory.Exists).ToList();
        return (folders.Count > 0 ? folders : [path]).SelectMany(d => Directory.EnumerateFiles(d)).Order(StringComparer.Ordinal);
    }

    // Standard input copied to an unlinked temporary file: the scanner needs to seek, and a message is never held in memory.
    private static async Task<Stream> SpoolStandardInputAsync(AdminContext c)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mailappliance-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 65536, FileOptions.DeleteOnClose);
        await using var input = Console.OpenStandardInput();
        if (c.Input != Console.In)
        {
            // In-process runs (tests) give standard input as a reader.
            await using var writer = new StreamWriter(file, leaveOpen: true);
            await writer.WriteAsync(await c.Input.ReadToEndAsync(c.CancellationToken));
        }
        else
        {
            await input.CopyToAsync(file, c.CancellationToken);
        }

        file.Seek(0, SeekOrigin.Begin);
        return file;
    }

    private static string Level(SpamScope scope) => scope.Kind.ToString().ToLowerInvariant();

    private static string Format(double? value) => value is { } v ? v.ToString("0.0##", CultureInfo.InvariantCulture) : "-";

    private sealed record SymbolResult(string Name, double Score);

    private sealed record CheckResult(
        string File,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Score,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Required,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Reject,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Spam,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Verdict,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Partial,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SymbolResult>? Symbols,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

    private sealed record ShowRow(string Level, string Name, double? Tag, double? Reject, double? DiscardForward, IReadOnlyList<string> Allow,
        IReadOnlyList<string> Block, long? SpamLearned, long? HamLearned);
}
