namespace MailAppliance.Core.Security;

/// <summary>The failed-authentication delay curve and memory bounds of <see cref="AuthThrottle"/>.</summary>
public sealed record AuthThrottleOptions
{
    public static AuthThrottleOptions Default { get; } = new();

    /// <summary>Failures answered without delay (typos happen).</summary>
    public int FreeFailures { get; init; } = 3;

    /// <summary>The delay after the first failure past <see cref="FreeFailures"/>; it doubles with each further one.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A key's failures are forgotten once it has had no failure for this long.</summary>
    public TimeSpan ForgetAfter { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The most addresses, and separately the most account names, remembered at once.</summary>
    public int MaxEntries { get; init; } = 100_000;

    /// <summary>Account names are cut to this many characters for the key, so long junk cannot grow memory.</summary>
    public int MaxAccountLength { get; init; } = 320;
}
