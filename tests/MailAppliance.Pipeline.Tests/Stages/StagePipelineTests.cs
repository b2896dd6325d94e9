using System.Net;
using System.Text;
using MailAppliance.Pipeline.Checks;
using MailAppliance.Pipeline.Stages;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailAppliance.Pipeline.Tests.Stages;

/// <summary>
/// Checks run side by side within the stage's budget; a check that throws or hangs is a zero-score NAME_TEMPERROR
/// symbol, never an exception and never a wait past the budget.
/// </summary>
public sealed class StagePipelineTests
{
    private static readonly CheckContext Context = new() { ClientAddress = IPAddress.Loopback, Helo = "client.example.net" };

    private sealed class Fixed(string name, CheckResult result, params SmtpStage[] stages) : ISmtpCheck
    {
        public string Name => name;

        public IReadOnlySet<SmtpStage> Stages { get; } = stages.ToHashSet();

        public Task<CheckResult> CheckAsync(SmtpStage stage, CheckContext context, CancellationToken cancellationToken) => Task.FromResult(result);
    }

    private sealed class Throwing : ISmtpCheck
    {
        public string Name => "BROKEN";

        public IReadOnlySet<SmtpStage> Stages { get; } = new HashSet<SmtpStage> { SmtpStage.Data };

        public Task<CheckResult> CheckAsync(SmtpStage stage, CheckContext context, CancellationToken cancellationToken) => throw new InvalidOperationException("bug");
    }

    /// <summary>Answers only when released (a DNS server that never replies).</summary>
    private sealed class Hanging : ISmtpCheck
    {
        public TaskCompletionSource<CheckResult> Release { get; } = new();

        public bool Cancelled { get; private set; }

        public string Name => "SLOW";

        public IReadOnlySet<SmtpStage> Stages { get; } = new HashSet<SmtpStage> { SmtpStage.Data };

        public async Task<CheckResult> CheckAsync(SmtpStage stage, CheckContext context, CancellationToken cancellationToken)
        {
            using var registration = cancellationToken.Register(() => Cancelled = true);
            return await Release.Task;
        }
    }

    private static StagePipeline Pipeline(TimeProvider time, params ISmtpCheck[] checks) =>
        new(checks, time, NullLogger<StagePipeline>.Instance, TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Symbols_and_headers_of_every_check_are_kept_and_the_most_severe_wish_wins()
    {
        var pipeline = Pipeline(TimeProvider.System,
            new Fixed("A", CheckResult.Symbol("A_ONE", 1.5), SmtpStage.Data),
            new Fixed("B", new CheckResult { Symbols = [new VerdictSymbol("B_TWO", 2)], Headers = ["X-B: yes"] }, SmtpStage.Data),
            new Fixed("C", CheckResult.Rejected("virus found", new VerdictSymbol("C_VIRUS", 0)) with { Code = 554 }, SmtpStage.Data),
            new Fixed("D", CheckResult.TemporaryFailure("later"), SmtpStage.Data),
            new Fixed("E", CheckResult.Symbol("E_HELO", 9), SmtpStage.Helo));

        var outcome = await pipeline.RunAsync(SmtpStage.Data, Context, CancellationToken.None);

        Assert.Equal(["A_ONE", "B_TWO", "C_VIRUS"], outcome.Symbols.Select(s => s.Name));
        Assert.Equal(3.5, outcome.Score);
        Assert.Equal(["X-B: yes"], outcome.Headers);
        Assert.Equal(CheckAction.Reject, outcome.Action);
        Assert.Equal(("virus found", 554), (outcome.Reason, outcome.Code));
        Assert.Equal(StageOutcome.Empty, await pipeline.RunAsync(SmtpStage.Mail, Context, CancellationToken.None));
    }

    [Fact]
    public async Task A_check_that_throws_is_a_zero_score_temperror_symbol()
    {
        var outcome = await Pipeline(TimeProvider.System, new Throwing(), new Fixed("OK", CheckResult.Symbol("OK_SEEN", 0.1), SmtpStage.Data))
            .RunAsync(SmtpStage.Data, Context, CancellationToken.None);
        Assert.Equal(CheckAction.Accept, outcome.Action);
        Assert.Contains(new VerdictSymbol("BROKEN_TEMPERROR", 0), outcome.Symbols);
        Assert.Contains(new VerdictSymbol("OK_SEEN", 0.1), outcome.Symbols);
    }

    [Fact]
    public async Task A_check_that_hangs_is_given_up_when_the_budget_runs_out_and_told_to_stop()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var slow = new Hanging();
        var run = Pipeline(time, slow, new Fixed("FAST", CheckResult.Symbol("FAST_SEEN", 1), SmtpStage.Data)).RunAsync(SmtpStage.Data, Context, CancellationToken.None);
        Assert.False(run.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(run.IsCompleted); // within the budget it is still waited for
        time.Advance(TimeSpan.FromSeconds(1));
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([new VerdictSymbol("SLOW_TEMPERROR", 0), new VerdictSymbol("FAST_SEEN", 1)], outcome.Symbols);
        Assert.True(slow.Cancelled);
        slow.Release.SetResult(CheckResult.Symbol("TOO_LATE", 100)); // answering late changes nothing
        Assert.DoesNotContain(outcome.Symbols, s => s.Name == "TOO_LATE");
    }

    [Fact]
    public void The_verdict_of_a_transaction_collects_every_stage()
    {
        var helo = StageOutcome.Combine([CheckResult.Symbol(HeloCheck.NotFqdn, 0.5)]);
        var data = StageOutcome.Combine([new CheckResult { Symbols = [new VerdictSymbol(HeaderCheck.MissingDate, 1)], Headers = ["X-A: 1"] }]);
        var verdict = data.After(helo).ToVerdict();
        Assert.Equal(1.5, verdict.Score);
        Assert.Equal([HeloCheck.NotFqdn, HeaderCheck.MissingDate], verdict.Symbols.Select(s => s.Name));
        Assert.Equal(["X-A: 1"], verdict.Headers);
        Assert.Same(SpoolVerdict.None, StageOutcome.Empty.After(StageOutcome.Empty).ToVerdict());
    }

    [Fact]
    public void A_finding_two_checks_report_counts_once_with_its_higher_score()
    {
        // The header check and the scanner's rules both find a missing Date: (1.0 and 1.4); the log line, the
        // report and the spooled score showed it twice and added both.
        var helo = StageOutcome.Combine([CheckResult.Symbol(HeloCheck.NotFqdn, 0.5)]);
        var data = StageOutcome.Combine(
        [
            new CheckResult { Symbols = [new VerdictSymbol(HeaderCheck.MissingDate, 1.0), new VerdictSymbol(HeaderCheck.MissingMessageId, 0.5)] },
            new CheckResult { Symbols = [new VerdictSymbol(HeaderCheck.MissingDate, 1.4), new VerdictSymbol(HeaderCheck.MissingMessageId, 0.5), new VerdictSymbol(HeloCheck.NotFqdn, 0.2)] },
        ]);
        var verdict = data.After(helo).ToVerdict();
        Assert.Equal(
            [new VerdictSymbol(HeloCheck.NotFqdn, 0.5), new VerdictSymbol(HeaderCheck.MissingDate, 1.4), new VerdictSymbol(HeaderCheck.MissingMessageId, 0.5)],
            verdict.Symbols);
        Assert.Equal(2.4, verdict.Score!.Value, 6);

        // An allowance found twice keeps its stronger form.
        var allowed = StageOutcome.Combine([CheckResult.Symbol("ALLOWED", -1), CheckResult.Symbol("ALLOWED", -10), CheckResult.Symbol("ALLOWED", 2)]);
        Assert.Equal([new VerdictSymbol("ALLOWED", -10)], allowed.Symbols);
    }
}
