using System.Threading.Channels;
using MailAppliance.Pipeline.Routing;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// Delivers what the queue holds, on any node: claims due recipients (a lease, so a dead node's work is taken over),
/// routes each (<see cref="RecipientRouter"/>), hands each route to its transport, and settles the outcome with a
/// guarded status change. A message's spool file goes once every recipient is settled, by whichever node settles
/// the last. Woken by submissions in this process, by <c>queue_changed</c> from any node, and by a poll for retries.
/// </summary>
public sealed class DeliveryScheduler : BackgroundService
{
    // Messages delivered side by side. The store commits concurrent deliveries as one group (one transaction, one
    // flush), so more in flight means larger groups, not more contention.
    internal const int Parallelism = 32;

    private const int RoundSize = 1000;

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(15);

    // After a failed round (the database away), or while spool files wait for their rows, look again soon.
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    private readonly MessageQueue _queue;
    private readonly MessageDelivery _delivery;
    private readonly ChannelListener? _notifications;
    private readonly TimeProvider _time;
    private readonly ILogger<DeliveryScheduler> _logger;
    private readonly IntakePace _intake;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    // Messages of rounds whose spool files may still wait for removal: a round that fails (the database away)
    // after settling some messages would otherwise leave their files until the next start-up's recovery.
    private readonly HashSet<string> _unremoved = new(StringComparer.Ordinal);
    private readonly Lock _unremovedGate = new();

    // Spool files of settled messages go in the background, one removal after the other, while the next round
    // claims and delivers (they are only removed after their outcomes are committed, as before).
    private Task _removing = Task.CompletedTask;

    // Set when a round failed: its claims on rows it could not settle are given up before the next round claims.
    private bool _releaseClaims;

    /// <param name="queue">The queue.</param>
    /// <param name="router">Where recipients go.</param>
    /// <param name="local">Delivery into local mailboxes.</param>
    /// <param name="notifications">A listener on <c>queue_changed</c> (other nodes' submissions, admin retries); null: none.</param>
    /// <param name="time">The one clock of every timer here.</param>
    /// <param name="logger">Where each attempt is logged.</param>
    /// <param name="options">The retry schedule, lifetime and delay warning (<c>Delivery:*</c>); null: the defaults.</param>
    /// <param name="smtp">Delivery to other servers; null: remote recipients wait (4.3.2).</param>
    /// <param name="signing">DKIM signing of outgoing mail; null: none.</param>
    /// <param name="forwards">What forwards' destinations said (<c>Forwarding:PauseAfter</c>); null: not recorded.</param>
    public DeliveryScheduler(
        MessageQueue queue, RecipientRouter router, LocalTransport local, ChannelListener? notifications, TimeProvider time, ILogger<DeliveryScheduler> logger,
        DeliveryOptions? options = null, SmtpTransport? smtp = null, OutboundSigning? signing = null, ForwardOutcomes? forwards = null)
    {
        _queue = queue;
        options ??= new DeliveryOptions();
        _delivery = new MessageDelivery(queue, router, local, smtp, signing, new DeliveryNotifier(queue, options, time, logger), options, time, logger, forwards);
        _notifications = notifications;
        _time = time;
        _logger = logger;
        _intake = new IntakePace(time);
        _queue.Submitted += _ =>
        {
            _intake.Count();
            Wake();
        };
        if (_notifications is not null)
        {
            _notifications.Notified += _ => Wake();
            _notifications.Connected += Wake;
        }
    }

    /// <summary>Where each delivery decision is reported (report events and metrics); the host sets it.</summary>
    public IDeliveryEvents Events
    {
        get => _delivery.Events;
        init => _delivery.Events = value;
    }

    /// <summary>The intake-first policy (how many deliveries may run while messages arrive).</summary>
    internal IntakePace Intake => _intake;

    /// <summary>Asks for a delivery round now.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _notifications?.EnsureStarted();
        try
        {
            await RunAsync(stoppingToken);
        }
        finally
        {
            await _removing; // never faults: a failed removal is logged and left for later
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        await RecoverAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var failed = false;
            try
            {
                do
                {
                    if (_intake.Gather() is var gather && gather > TimeSpan.Zero)
                    {
                        await Task.Delay(gather, _time, stoppingToken);
                    }
                }
                while (await RunOnceAsync(drain: false, stoppingToken) > 0);

                await DrainRemovalAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Delivery round failed; retrying");
                failed = true;
            }

            using var timeout = new CancellationTokenSource(failed || _queue.HasUnregistered || HasUnremoved ? RetryInterval : PollInterval, _time);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
            try
            {
                await _wake.Reader.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Poll interval elapsed: look for due retries.
            }
        }
    }

    /// <summary>Start-up: the queue takes up what a crash left (see <see cref="MessageQueue.RecoverAsync"/>), retried until the database answers.</summary>
    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await _queue.RecoverAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (StorageFailures.IsTemporary(e))
            {
                _logger.LogWarning(e, "Queue recovery failed; retrying");
                await Task.Delay(RetryInterval, _time, cancellationToken);
            }
        }
    }

    /// <summary>
    /// One round: every recipient claimed now, each tried once, and the spool files of the messages it settled
    /// removed. Returns how many were claimed.
    /// </summary>
    public Task<int> RunOnceAsync(CancellationToken cancellationToken) => RunOnceAsync(drain: true, cancellationToken);

    /// <param name="drain">Wait for the spool files to be removed (the service loop does not: it claims again).</param>
    private async Task<int> RunOnceAsync(bool drain, CancellationToken cancellationToken)
    {
        try
        {
            var claimed = await RunRoundAsync(cancellationToken);
            if (drain)
            {
                await DrainRemovalAsync();
            }

            return claimed;
        }
        catch
        {
            _releaseClaims = true;
            throw;
        }
    }

    private async Task<int> RunRoundAsync(CancellationToken cancellationToken)
    {
        if (_releaseClaims)
        {
            await _queue.ReleaseClaimsAsync(cancellationToken);
            _releaseClaims = false;
        }

        // Intake first: while a burst comes in, nothing is claimed yet, so that once it is over one claim takes the
        // burst (up to a round) rather than the few messages that had arrived when the round began, which were
        // delivered alone before the rest could be claimed. Bounded like the wait below.
        var waitStarted = _time.GetTimestamp();
        while (_intake.Parallelism(_time.GetUtcNow(), _time.GetElapsedTime(waitStarted)) == 0)
        {
            await Task.Delay(_intake.Pause(), _time, cancellationToken);
        }

        await _queue.RegisterPendingAsync(cancellationToken);
        StartRemoval(); // what failed rounds left
        var claimed = await _queue.ClaimAsync(RoundSize, cancellationToken);
        if (claimed.Count == 0)
        {
            return 0;
        }

        var messages = claimed.GroupBy(r => r.QueueId, StringComparer.Ordinal).ToList();
        lock (_unremovedGate)
        {
            _unremoved.UnionWith(messages.Select(m => m.Key));
        }

        var oldest = claimed.Min(r => r.ReceivedAt);
        var started = _time.GetTimestamp();
        var inFlight = new List<Task>();
        try
        {
            foreach (var message in messages)
            {
                // Intake first: while a burst comes in, wait (bounded by the oldest message's age and by this round's).
                while (inFlight.Count >= _intake.Parallelism(oldest, _time.GetElapsedTime(started)))
                {
                    if (inFlight.Count == 0)
                    {
                        await Task.Delay(_intake.Pause(), _time, cancellationToken);
                        continue;
                    }

                    var finished = await Task.WhenAny(inFlight);
                    inFlight.Remove(finished);
                    await finished;
                }

                cancellationToken.ThrowIfCancellationRequested();
                inFlight.Add(DeliverMessageAsync(message.Key, message.ToList(), cancellationToken));
            }
        }
        catch
        {
            // Never leave deliveries running behind a failed round: their outcomes are still being settled.
            await Task.WhenAll(inFlight).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await Task.WhenAll(inFlight);
        StartRemoval();
        return claimed.Count;
    }

    private bool HasUnremoved
    {
        get
        {
            lock (_unremovedGate)
            {
                return _unremoved.Count > 0;
            }
        }
    }

    /// <summary>
    /// Starts removing the spool files of every message of this and failed earlier rounds that is now settled, after
    /// any removal still running. One that fails leaves its messages for the next round (logged).
    /// </summary>
    private void StartRemoval()
    {
        List<string> queueIds;
        lock (_unremovedGate)
        {
            if (_unremoved.Count == 0)
            {
                return;
            }

            queueIds = [.. _unremoved];
            _unremoved.Clear();
        }

        _removing = RemoveAfterAsync(_removing, queueIds);
    }

    private async Task RemoveAfterAsync(Task previous, List<string> queueIds)
    {
        await previous;
        try
        {
            await _queue.RemoveSettledAsync(queueIds, CancellationToken.None);
        }
        catch (Exception e)
        {
            lock (_unremovedGate)
            {
                _unremoved.UnionWith(queueIds);
            }

            _logger.LogWarning(e, "Spool files of {Count} settled message(s) not removed yet; tried again", queueIds.Count);
        }
    }

    /// <summary>Waits until every spool file this scheduler may remove now is removed (or its removal failed).</summary>
    private async Task DrainRemovalAsync()
    {
        StartRemoval();
        await _removing;
    }

    private async Task DeliverMessageAsync(string queueId, IReadOnlyList<QueueRecipient> rows, CancellationToken cancellationToken)
    {
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["QueueId"] = queueId });
        await _delivery.DeliverAsync(queueId, rows, cancellationToken);
    }
}
