namespace MailAppliance.Pipeline.Stages;

/// <summary>
/// One check of the intake pipeline (maddy's "check" model): it runs at the stages it names, looks at the
/// <see cref="CheckContext"/>, and answers a <see cref="CheckResult"/>. It may throw or hang: the
/// <see cref="StagePipeline"/> turns either into a zero-score <c>NAME_TEMPERROR</c> symbol and a log line.
/// </summary>
public interface ISmtpCheck
{
    /// <summary>Upper-case letters, digits and '_': the prefix of its symbols (<c>HELO</c> → <c>HELO_TEMPERROR</c>).</summary>
    string Name { get; }

    /// <summary>The stages it runs at.</summary>
    IReadOnlySet<SmtpStage> Stages { get; }

    Task<CheckResult> CheckAsync(SmtpStage stage, CheckContext context, CancellationToken cancellationToken);
}
