using MailAppliance.Storage.Database;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// Delivers spooled messages to their recipients. The spool is the source of truth: at start every spool file gets
/// its recipient rows (if a crash came between the 250 and the rows), and a message's file is deleted only when
/// every recipient is settled. Local mailboxes get the message through the store with the key
/// <c>queue-id:recipient:user</c>, so a retry after a crash never delivers twice. Temporary failures (over quota,
/// database or disk trouble) are retried with growing delays; nothing is ever dropped silently.
/// </summary>
public sealed class DeliveryWorker : BackgroundService
{
    private static readonly TimeSpan[] Backoff =
    [
        TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2),
    ];

    // Messages delivered side by side. The store commits concurrent deliveries as one group (one transaction, one
    // fsync per directory), so more in flight means larger groups, not more contention.
    internal const int Parallelism = 32;

    private const int RoundSize = 1000;

    // Intake first. A sender waiting for its 250 matters more than a message already safe in the spool reaching its
    // mailbox a few seconds sooner, and on a small machine intake and delivery share the cores. So:
    // - while messages arrive at a trickle (one accepted in the last IntakeWindow), delivery keeps to a couple at a time;
    // - while they pour in (HeavyIntake or more in the current or the last IntakeWindow), delivery waits: a burst is
    //   taken into the spool at full speed and delivered right after it, at full parallelism, where deliveries share
    //   their flushes and transactions (a few at a time under a burst cost several times the CPU per message);
    // - a round whose oldest message has waited MaxIntakeDeferral goes at full parallelism whatever arrives, so a
    //   steady flood cannot starve delivery: the backlog stays bounded and intake slows to what both together can do.
    internal const int ParallelismDuringIntake = 2;
    internal const int HeavyIntake = 64;
    internal static readonly TimeSpan MaxIntakeDeferral = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PausePoll = TimeSpan.FromMilliseconds(50);
    private long _intakeWindow = long.MinValue / 2;
    private int _intakeInWindow;
    private int _intakeInLastWindow;
    private readonly object _intakeGate = new();

    /// <summary>The window intake is counted in (tests lengthen it so a slow machine cannot end a burst early).</summary>
    internal TimeSpan IntakeWindow { get; init; } = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(15);

    // After a failed round (the database away), or while spool files wait for their rows, look again soon.
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    // Spool files acknowledged while their queue rows could not be written: registered by the next round.
    private readonly ConcurrentDictionary<string, byte> _unregistered = new(StringComparer.Ordinal);

    private readonly MessageSpool _spool;
    private readonly QueueStore _queue;
    private readonly AccountDirectory _directory;
    private readonly MailStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<DeliveryWorker> _logger;
    private readonly Channel<string> _wake = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public DeliveryWorker(MessageSpool spool, QueueStore queue, AccountDirectory directory, MailStore store, TimeProvider time, ILogger<DeliveryWorker> logger)
    {
        _spool = spool;
        _queue = queue;
        _directory = directory;
        _store = store;
        _time = time;
        _logger = logger;
    }

    /// <summary>Asks for a delivery round now (after a message was spooled), and counts the message as intake.</summary>
    public void Wake()
    {
        lock (_intakeGate)
        {
            var window = Environment.TickCount64 / (long)IntakeWindow.TotalMilliseconds;
            if (window != _intakeWindow)
            {
                _intakeInLastWindow = window == _intakeWindow + 1 ? _intakeInWindow : 0;
                _intakeInWindow = 0;
                _intakeWindow = window;
            }

            _intakeInWindow++;
        }

        _wake.Writer.TryWrite("");
    }

    /// <summary>How many messages may be in flight now; 0: wait while a burst is taken in (see <see cref="HeavyIntake"/>).</summary>
    internal int CurrentParallelism(DateTimeOffset oldestReceived)
    {
        if (_time.GetUtcNow() - oldestReceived >= MaxIntakeDeferral)
        {
            return Parallelism;
        }

        int recent;
        lock (_intakeGate)
        {
            var window = Environment.TickCount64 / (long)IntakeWindow.TotalMilliseconds;
            recent = window == _intakeWindow ? Math.Max(_intakeInWindow, _intakeInLastWindow)
                : window == _intakeWindow + 1 ? _intakeInWindow
                : 0;
        }

        return recent >= HeavyIntake ? 0 : recent > 0 ? ParallelismDuringIntake : Parallelism;
    }

    /// <summary>
    /// Start-up: spool files without rows get them; files whose every recipient is settled go; tmp files (never
    /// acknowledged) go. The rows are looked up a thousand files at a time and only files without rows are opened,
    /// their rows written side by side (one batched statement for many), so a backlog of tens of thousands of
    /// messages is taken up in seconds.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var dropped = _spool.DeleteUncommitted();
        if (dropped > 0)
        {
            _logger.LogInformation("Removed {Count} unacknowledged spool file(s)", dropped);
        }

        _spool.AdoptFreeFiles();

        var registered = 0;
        foreach (var chunk in _spool.List().Chunk(RoundSize))
        {
            var rows = await _queue.RecipientsOfAsync(chunk, cancellationToken);
            var missing = chunk.Where(id => rows[id].Count == 0).ToList();
            await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (queueId, token) =>
            {
                if (await RegisterAsync(queueId, token))
                {
                    Interlocked.Increment(ref registered);
                }
            });

            foreach (var queueId in chunk.Where(id => rows[id].Count > 0 && rows[id].All(r => IsSettled(r.Status))))
            {
                _spool.Delete(queueId); // delivered before the crash, deleted too late
            }
        }

        if (registered > 0)
        {
            _logger.LogInformation("Registered {Count} spool file(s) that had no queue rows", registered);
        }
    }

    /// <summary>
    /// A spool file is durable but its queue rows could not be written (the database away at that moment): the next
    /// round writes them, so the message is delivered once the database is back, without waiting for a restart.
    /// </summary>
    public void RegisterLater(string queueId)
    {
        _unregistered[queueId] = 0;
        _wake.Writer.TryWrite("");
    }

    /// <summary>Writes the rows of the files <see cref="RegisterLater"/> was told of; one that fails waits for the next round.</summary>
    private async Task RegisterPendingAsync(CancellationToken cancellationToken)
    {
        foreach (var queueId in _unregistered.Keys)
        {
            try
            {
                if (await RegisterAsync(queueId, cancellationToken))
                {
                    _logger.LogInformation("Registered {QueueId}, spooled while the database was away", queueId);
                }

                _unregistered.TryRemove(queueId, out _);
            }
            catch (Exception e) when (StorageFailures.IsTemporary(e))
            {
                // Still away (or this file unreadable for now): the others are not held up, and this one is tried again.
                _logger.LogWarning(e, "Queue rows for {QueueId} not written yet", queueId);
            }
        }
    }

    /// <summary>Writes the queue rows of a spool file from its envelope; false if the file is gone or unreadable.</summary>
    private async Task<bool> RegisterAsync(string queueId, CancellationToken cancellationToken)
    {
        if (_spool.Open(queueId) is not { } opened)
        {
            return false;
        }

        await using (opened.Message)
        {
            await _queue.EnqueueAsync(opened.Envelope, opened.Message.Length, cancellationToken);
        }

        return true;
    }

    /// <summary>Deletes the spool file of a message whose every recipient is settled (also after <c>queue delete</c>).</summary>
    public async Task<bool> RemoveIfSettledAsync(string queueId, CancellationToken cancellationToken)
    {
        var all = await _queue.RecipientsAsync(queueId, cancellationToken);
        if (all.Count == 0 || !all.All(r => IsSettled(r.Status)))
        {
            return false;
        }

        _spool.Delete(queueId);
        return true;
    }

    /// <summary>One round: every due message, each recipient tried once.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        // Messages are delivered side by side (each to its recipients in order): deliveries wait on fsyncs and
        // PostgreSQL, not on the CPU, and the store keeps concurrent deliveries to one user consistent.
        // One round trip for the rows of the whole round, and each recipient address resolved once per round.
        await RegisterPendingAsync(cancellationToken);
        var due = await _queue.DueAsync(_time.GetUtcNow(), RoundSize, cancellationToken);
        if (due.Count == 0)
        {
            return 0;
        }

        var rows = await _queue.RecipientsOfAsync(due, cancellationToken);
        var round = new Round(new ConcurrentDictionary<string, Resolution>(StringComparer.Ordinal));
        var oldest = rows.Values.SelectMany(r => r).Select(r => r.ReceivedAt).DefaultIfEmpty(_time.GetUtcNow()).Min();
        var inFlight = new List<Task>();
        var started = Stopwatch.GetTimestamp(); // the wait under a burst is bounded by this clock too, whatever the wall clock does
        try
        {
            foreach (var queueId in due)
            {
                while (inFlight.Count >= (Stopwatch.GetElapsedTime(started) >= MaxIntakeDeferral ? Parallelism : CurrentParallelism(oldest)))
                {
                    if (inFlight.Count == 0)
                    {
                        await Task.Delay(PausePoll, _time, cancellationToken); // a burst is coming in: wait it out
                        continue;
                    }

                    var finished = await Task.WhenAny(inFlight);
                    inFlight.Remove(finished);
                    await finished; // a round that fails is retried as a whole (ExecuteAsync)
                }

                cancellationToken.ThrowIfCancellationRequested();
                inFlight.Add(DeliverAsync(queueId, rows[queueId], round, cancellationToken));
            }
        }
        catch
        {
            // Never leave deliveries running behind a failed round: the retry would deliver the same messages again.
            await Task.WhenAll(inFlight).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await Task.WhenAll(inFlight);
        return due.Count;
    }

    /// <summary>What one delivery round shares: the recipients resolved so far (a round lasts seconds).</summary>
    private sealed record Round(ConcurrentDictionary<string, Resolution> Resolved);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RecoverAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var failed = false;
            try
            {
                while (await RunOnceAsync(stoppingToken) > 0)
                {
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Delivery round failed; retrying");
                failed = true;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            wait.CancelAfter(failed || !_unregistered.IsEmpty ? RetryInterval : PollInterval);
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

    private async Task DeliverAsync(string queueId, IReadOnlyList<QueueRecipient> all, Round round, CancellationToken cancellationToken)
    {
        var rows = all.Where(r => r.Status is RecipientStatus.Queued or RecipientStatus.Deferred && r.NextAttemptAt <= _time.GetUtcNow()).ToList();
        var opened = _spool.Open(queueId);
        if (opened is null)
        {
            foreach (var row in rows)
            {
                await _queue.SetStatusAsync(queueId, row.Recipient, RecipientStatus.Failed, "spool file missing", null, cancellationToken);
            }

            return;
        }

        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["QueueId"] = queueId });
        var unsettled = all.Count(r => !IsSettled(r.Status));
        await using (opened.Value.Message)
        {
            foreach (var row in rows)
            {
                var (status, result) = await DeliverToAsync(queueId, row.Recipient, opened.Value.Message, round, cancellationToken);
                if (IsSettled(status))
                {
                    unsettled--;
                }

                var next = status == RecipientStatus.Deferred ? _time.GetUtcNow() + Backoff[Math.Min(row.Attempts, Backoff.Length - 1)] : (DateTimeOffset?)null;
                await _queue.SetStatusAsync(queueId, row.Recipient, status, result, next, cancellationToken);
                _logger.LogInformation("Delivery {QueueId} to {Recipient}: {Status} ({Result})", queueId, row.Recipient, status, result);
            }
        }

        // Every recipient settled by what was just read and written: no need to read the rows again.
        if (all.Count > 0 && unsettled == 0)
        {
            _spool.Delete(queueId);
        }
    }

    private static bool IsSettled(RecipientStatus status) => status is RecipientStatus.Delivered or RecipientStatus.Failed or RecipientStatus.Discarded;

    private async Task<(RecipientStatus Status, string Result)> DeliverToAsync(string queueId, string recipient, Stream message, Round round, CancellationToken cancellationToken)
    {
        if (!MailAddress.TryParse(recipient, out var address, out _))
        {
            return (RecipientStatus.Failed, "invalid recipient address");
        }

        try
        {
            if (!round.Resolved.TryGetValue(address.Key, out var resolution))
            {
                resolution = await _directory.ResolveAsync(address, cancellationToken);
                round.Resolved[address.Key] = resolution;
            }

            switch (resolution)
            {
                case Resolution.Recipients recipients:
                    var outcomes = new List<string>();
                    var deferred = false;
                    foreach (var user in recipients.Users)
                    {
                        message.Position = 0;
                        var result = await _store.DeliverAsync(
                            new DeliveryRequest(new MailUser(user.Id, MailAddress.Parse(user.Address)), MailboxName.Inbox) { DeliveryKey = $"{queueId}:{address.Key}:{user.Id}" },
                            message, cancellationToken);
                        if (result.Status == DeliveryStatus.OverQuota)
                        {
                            deferred = true;
                            outcomes.Add($"{user.Address}: {result.Reason}");
                        }
                        else
                        {
                            outcomes.Add($"{user.Address}: uid {result.Uid}");
                        }
                    }

                    if (recipients.External.Count > 0)
                    {
                        // Outbound delivery (forwarding, relaying) comes with its own component; until then such
                        // recipients stay queued, never dropped.
                        deferred = true;
                        outcomes.Add($"external {string.Join(", ", recipients.External)}: outbound delivery not available yet");
                    }

                    return (deferred ? RecipientStatus.Deferred : RecipientStatus.Delivered, string.Join("; ", outcomes));
                case Resolution.NotLocal:
                    return (RecipientStatus.Deferred, "outbound delivery not available yet");
                default:
                    // Accepted at RCPT but gone since (removed meanwhile): keep it for the admin to decide.
                    return (RecipientStatus.Deferred, "recipient no longer exists");
            }
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            _logger.LogWarning(e, "Temporary failure delivering {QueueId} to {Recipient}", queueId, recipient);
            return (RecipientStatus.Deferred, "temporary failure: " + e.Message.ReplaceLineEndings(" "));
        }
    }
}
