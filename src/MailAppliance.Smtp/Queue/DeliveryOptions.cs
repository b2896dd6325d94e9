namespace MailAppliance.Smtp.Queue;

/// <summary>
/// The queue's schedule (<c>Delivery:*</c> in docs/configuration.md): retries after a temporary failure from
/// <see cref="RetryMin"/>, twice as late each time, never more than <see cref="RetryMax"/> apart (Postfix's
/// minimal_backoff_time and maximal_backoff_time); a message still undelivered after <see cref="MaxLifetime"/>
/// bounces; one delay warning after <see cref="DelayWarning"/> (zero: none).
/// </summary>
public sealed record DeliveryOptions
{
    /// <summary>Our host name: the DSNs' Reporting-MTA and MAILER-DAEMON's domain.</summary>
    public string Hostname { get; init; } = "localhost";

    public TimeSpan RetryMin { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan RetryMax { get; init; } = TimeSpan.FromHours(1);

    public TimeSpan MaxLifetime { get; init; } = TimeSpan.FromDays(5);

    public TimeSpan DelayWarning { get; init; } = TimeSpan.FromHours(4);

    /// <summary>The wait after the <paramref name="attempts"/>-th temporary failure (0 for the first).</summary>
    public TimeSpan Backoff(int attempts)
    {
        var wait = RetryMin.TotalSeconds * Math.Pow(2, Math.Min(attempts, 30));
        return TimeSpan.FromSeconds(Math.Min(Math.Max(wait, RetryMin.TotalSeconds), RetryMax.TotalSeconds));
    }
}
