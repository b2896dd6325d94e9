using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Pipeline.Stages;

/// <summary>
/// Runs the checks of a stage side by side within a time budget and folds their answers into one
/// <see cref="StageOutcome"/>. A check that throws, or has not answered when the budget runs out, counts as a
/// zero-score <c>NAME_TEMPERROR</c> symbol and a log line: the reply never waits longer than the budget, and no check
/// can lose a message or fail the transaction by failing itself.
/// </summary>
public sealed class StagePipeline
{
    private readonly IReadOnlyList<ISmtpCheck> _checks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public StagePipeline(IEnumerable<ISmtpCheck> checks, TimeProvider time, ILogger<StagePipeline> logger, TimeSpan? budget = null)
    {
        _checks = checks.ToList();
        _time = time;
        _logger = logger;
        Budget = budget ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>How long a stage may take in all (<c>Spam:TimeBudget</c> for DATA).</summary>
    public TimeSpan Budget { get; }

    public bool HasChecksFor(SmtpStage stage) => _checks.Any(c => c.Stages.Contains(stage));

    public async Task<StageOutcome> RunAsync(SmtpStage stage, CheckContext context, CancellationToken cancellationToken)
    {
        var checks = _checks.Where(c => c.Stages.Contains(stage)).ToList();
        if (checks.Count == 0)
        {
            return StageOutcome.Empty;
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = checks.Select(c => (Check: c, Task: Start(c, stage, context, budget.Token))).ToList();
        var all = Task.WhenAll(running.Select(r => r.Task));
        if (!all.IsCompleted)
        {
            // Only a check that really waits (DNS, clamd) costs a timer.
            await Task.WhenAny(all, Task.Delay(Budget, _time, cancellationToken)); // WhenAny never throws
            cancellationToken.ThrowIfCancellationRequested();
            await budget.CancelAsync(); // whatever still runs is told to stop; its answer is no longer waited for
        }

        var results = new List<CheckResult>();
        foreach (var (check, task) in running)
        {
            if (task.IsCompletedSuccessfully)
            {
                results.Add(task.Result);
                continue;
            }

            if (task.IsFaulted)
            {
                _logger.LogWarning(task.Exception?.GetBaseException(), "Check {Check} failed at {Stage} for {QueueId}; scored without it", check.Name, stage, context.QueueId);
            }
            else
            {
                _logger.LogWarning("Check {Check} did not answer within {Budget} at {Stage} for {QueueId}; scored without it", check.Name, Budget, stage, context.QueueId);
                _ = task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default); // observed, whenever it ends
            }

            results.Add(CheckResult.Symbol(check.Name + "_TEMPERROR", 0));
        }

        return StageOutcome.Combine(results);
    }

    /// <summary>Starts a check; one that throws before it returns a task is a failed task like any other.</summary>
    private static Task<CheckResult> Start(ISmtpCheck check, SmtpStage stage, CheckContext context, CancellationToken cancellationToken)
    {
        try
        {
            return check.CheckAsync(stage, context, cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException<CheckResult>(e);
        }
    }
}

/// <summary>
/// The checks of a stage together: every symbol, every header, and the most severe wish (reject over tempfail over
/// accept) with the reason of the first check that made it.
/// </summary>
public sealed record StageOutcome(IReadOnlyList<VerdictSymbol> Symbols, IReadOnlyList<string> Headers, CheckAction Action, string? Reason)
{
    public static StageOutcome Empty { get; } = new([], [], CheckAction.Accept, null);

    /// <summary>The SMTP code the deciding check asked for, if any.</summary>
    public int? Code { get; init; }

    public string? EnhancedCode { get; init; }

    public IReadOnlyList<RecipientVerdict> Recipients { get; init; } = [];

    public IReadOnlyList<MessageRange> Removed { get; init; } = [];

    public double Score => Symbols.Sum(s => s.Score);

    public static StageOutcome Combine(IEnumerable<CheckResult> results)
    {
        var list = results.ToList();
        var worst = list.Count == 0 ? CheckAction.Accept : list.Max(r => r.Action);
        var decider = list.FirstOrDefault(r => r.Action == worst && worst != CheckAction.Accept);
        return new StageOutcome(Distinct(list.SelectMany(r => r.Symbols)), list.SelectMany(r => r.Headers).ToList(), worst, decider?.Reason)
        {
            Code = decider?.Code,
            EnhancedCode = decider?.EnhancedCode,
            Recipients = list.SelectMany(r => r.Recipients).ToList(),
            Removed = list.SelectMany(r => r.Removed).ToList(),
        };
    }

    /// <summary>This stage's findings after those of earlier stages (what the message's verdict collects).</summary>
    public StageOutcome After(StageOutcome earlier) =>
        new(Distinct([.. earlier.Symbols, .. Symbols]), [.. earlier.Headers, .. Headers], (CheckAction)Math.Max((int)earlier.Action, (int)Action), Reason ?? earlier.Reason)
        {
            Code = Code ?? earlier.Code,
            EnhancedCode = EnhancedCode ?? earlier.EnhancedCode,
            Recipients = [.. earlier.Recipients, .. Recipients],
            Removed = [.. earlier.Removed, .. Removed],
        };

    /// <summary>
    /// Each symbol once, where it was first found, with the score furthest from zero any check gave it (the strongest
    /// tell, or the strongest allowance for a negative one): the header check and the scanner's rules both know
    /// MISSING_DATE, and the message's score and report counted it twice.
    /// </summary>
    private static List<VerdictSymbol> Distinct(IEnumerable<VerdictSymbol> symbols)
    {
        var merged = new List<VerdictSymbol>();
        foreach (var symbol in symbols)
        {
            var at = merged.FindIndex(s => string.Equals(s.Name, symbol.Name, StringComparison.Ordinal));
            if (at < 0)
            {
                merged.Add(symbol);
            }
            else if (Math.Abs(symbol.Score) > Math.Abs(merged[at].Score))
            {
                merged[at] = merged[at] with { Score = symbol.Score };
            }
        }

        return merged;
    }

    /// <summary>The verdict written into the spool file with the message.</summary>
    public SpoolVerdict ToVerdict() => Symbols.Count == 0 && Headers.Count == 0 && Recipients.Count == 0 && Removed.Count == 0
        ? SpoolVerdict.None
        : new SpoolVerdict { Score = Symbols.Count == 0 ? null : Score, Symbols = Symbols, Headers = Headers, Recipients = Recipients, Removed = Removed };
}
