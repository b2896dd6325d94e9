namespace MailAppliance.Smtp.Queue;

/// <summary>
/// Intake first. A sender waiting for its 250 matters more than a message already safe in the spool reaching its
/// mailbox a few seconds sooner, and on a small machine intake and delivery share the cores. So:
/// <list type="bullet">
/// <item>while messages arrive at a trickle (one accepted in the last window, less than <see cref="QuietGap"/> ago),
/// delivery keeps to a couple at a time,
/// and each round first lets <see cref="TrickleGather"/> of arrivals gather, so that a message a few milliseconds
/// behind another shares its round (its claim, its flushes, its transactions) instead of paying for one alone;</item>
/// <item>while they pour in (<see cref="HeavyIntake"/> or more in the current and the last window together),
/// delivery waits: a burst is taken into the spool at full speed and delivered right after it, at full parallelism,
/// where deliveries share their flushes and transactions. A burst is over as soon as nothing has arrived for <see cref="QuietGap"/>
/// (not when its windows have rolled by: that left the machine idle for up to two windows after the last 250);</item>
/// <item>a round whose oldest message has waited <see cref="MaxIntakeDeferral"/> (or that has itself waited that
/// long) goes at full parallelism whatever arrives, so a flood cannot starve delivery.</item>
/// </list>
/// Every time comes from one <see cref="TimeProvider"/>.
/// </summary>
internal sealed class IntakePace
{
    internal const int ParallelismDuringIntake = 2;
    // 16 in 250 ms (64 a second) is a stream: one client sending back to back does that several times over. The
    // count is taken while deliveries compete for the cores, so it must sit well below what a lone client reaches
    // alone: at 64, a client that sends 300 a second alone was held to 150 by the deliveries beside it, which kept
    // it under the mark, and so beside them (a lone connection's rate halved).
    internal const int HeavyIntake = 16;
    internal static readonly TimeSpan MaxIntakeDeferral = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan PausePoll = TimeSpan.FromMilliseconds(50);

    /// <summary>No message for this long ends a burst: clients pouring messages in leave gaps of a few milliseconds.</summary>
    internal static readonly TimeSpan QuietGap = TimeSpan.FromMilliseconds(100);

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long _window = long.MinValue / 2;
    private int _inWindow;
    private int _inLastWindow;
    private long _lastAccepted = long.MinValue / 2;

    public IntakePace(TimeProvider time) => _time = time;

    /// <summary>The window intake is counted in (tests lengthen it so a slow machine cannot end a burst early).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A message was accepted.</summary>
    public void Count()
    {
        lock (_gate)
        {
            var window = CurrentWindow();
            if (window != _window)
            {
                _inLastWindow = window == _window + 1 ? _inWindow : 0;
                _inWindow = 0;
                _window = window;
            }

            _inWindow++;
            _lastAccepted = _time.GetTimestamp();
        }
    }

    /// <summary>How long a delivery round waits for more arrivals while messages trickle in.</summary>
    public TimeSpan TrickleGather { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the next round should gather first: <see cref="TrickleGather"/> during a trickle, else nothing
    /// (an idle server delivers at once; during a burst the round itself waits).</summary>
    public TimeSpan Gather()
    {
        var (recent, _) = Recent();
        return recent > 0 && recent < HeavyIntake ? TrickleGather : TimeSpan.Zero;
    }

    /// <summary>How many deliveries may be in flight now; 0: wait while a burst is taken in.</summary>
    public int Parallelism(DateTimeOffset oldestReceived, TimeSpan roundWaited)
    {
        if (roundWaited >= MaxIntakeDeferral || _time.GetUtcNow() - oldestReceived >= MaxIntakeDeferral)
        {
            return DeliveryScheduler.Parallelism;
        }

        // Nothing for a quiet gap: a burst is over (deliver it at once) whatever its tail left in the windows, which
        // can be less than a burst's count once the first of its messages fall out of the last window.
        var (recent, quiet) = Recent();
        if (recent == 0 || quiet >= QuietGap)
        {
            return DeliveryScheduler.Parallelism;
        }

        return recent >= HeavyIntake ? 0 : ParallelismDuringIntake;
    }

    /// <summary>
    /// How long to wait before asking <see cref="Parallelism"/> again while it says 0: until the quiet gap since the
    /// last arrival would be over, at most <see cref="PausePoll"/> (a burst's end is seen when it happens, not up to a
    /// poll later).
    /// </summary>
    public TimeSpan Pause()
    {
        var (_, quiet) = Recent();
        var left = QuietGap - quiet;
        return left <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : left < PausePoll ? left : PausePoll;
    }

    /// <summary>
    /// Messages accepted in the current and the last window together (at least the last <see cref="Window"/>: a steady
    /// stream counts whole wherever the window boundary falls, where the larger of the two halves could fall short of
    /// <see cref="HeavyIntake"/>), and how long since the last one.
    /// </summary>
    private (int Count, TimeSpan Quiet) Recent()
    {
        lock (_gate)
        {
            var window = CurrentWindow();
            var recent = window == _window ? _inWindow + _inLastWindow
                : window == _window + 1 ? _inWindow
                : 0;
            return (recent, _time.GetElapsedTime(_lastAccepted));
        }
    }

    private long CurrentWindow() => (long)(_time.GetTimestamp() / (Window.TotalSeconds * _time.TimestampFrequency));
}
