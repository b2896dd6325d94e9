using System.Collections.Concurrent;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Nodes;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Storage.Queue;

/// <summary>
/// The queue: the one place a message enters (<see cref="BeginAsync"/> / <see cref="SubmitAsync"/>: spool file
/// written, sealed durable with its verdict, recipient rows, <c>NOTIFY queue_changed</c>), the one place its
/// recipients are claimed and settled by the delivery scheduler of any node, and what the admin verbs act on. SMTP
/// intake uses it, and so do DSNs, sieve redirects and vacation replies, forwards and reports.
/// </summary>
/// <remarks>
/// The spool file is the truth: a message exists from the moment its file is durable in <c>spool/</c>, and its rows
/// are written from the file again whenever they are missing (at start-up, or after the database was away when the
/// message was accepted). So SMTP intake answers 250 as soon as the file is durable and its rows follow a moment
/// later, written in one statement with those of every other message accepted meanwhile; a crash in between leaves a
/// file whose rows the next start writes. A file leaves the spool only when every recipient row is settled.
/// </remarks>
public sealed class MessageQueue : IAsyncDisposable
{
    /// <summary>How long a claim outlives its node's last renewal (INTERFACE.md: 60 s).</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan DeadNodeCheckInterval = TimeSpan.FromSeconds(10);

    private readonly QueueStore _rows;
    private readonly MessageSpool _spool;
    private readonly NodeIdentity _node;
    private readonly TimeProvider _time;
    private readonly ILogger<MessageQueue> _logger;
    private readonly LeaseRenewer _renewer;

    // Spool files acknowledged while their rows could not be written (the database away): written by a later round.
    private readonly ConcurrentDictionary<string, byte> _unregistered = new(StringComparer.Ordinal);

    // Rows being written for messages already acknowledged (their 250 went out once the spool file was durable).
    private readonly ConcurrentDictionary<string, Task> _registering = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _deadNodes = [];
    private long _deadNodesCheckedAt = long.MinValue;

    public MessageQueue(StorageDatabase db, MessageSpool spool, NodeIdentity node, TimeProvider time, ILogger<MessageQueue> logger)
    {
        _rows = new QueueStore(db);
        _spool = spool;
        _node = node;
        _time = time;
        _logger = logger;
        _renewer = new LeaseRenewer(ClaimLease, token => _rows.RenewClaimsAsync(_node.Id, ClaimLease, token), time, logger);
    }

    /// <summary>This process as a node (what its claims are named after).</summary>
    public NodeIdentity Node => _node;

    /// <summary>A message was taken into the queue by this process (after its rows were written, or queued for that).</summary>
    public event Action<string>? Submitted;

    /// <summary>Spool files whose rows wait for the database; the scheduler looks again soon while there are any.</summary>
    public bool HasUnregistered => !_unregistered.IsEmpty;

    public string NewQueueId() => _spool.NewQueueId();

    /// <summary>Starts a message: write it to <see cref="Submission.Body"/>, then <see cref="Submission.SubmitAsync"/>.</summary>
    /// <exception cref="IOException">The spool file cannot be created (disk full: <see cref="IsDiskFull"/>).</exception>
    public async Task<Submission> BeginAsync(SpoolEnvelope envelope, CancellationToken cancellationToken) =>
        new(this, await _spool.BeginAsync(envelope, cancellationToken));

    /// <summary>The whole submission in one call, for messages made here (DSNs, redirects, vacation replies, reports).</summary>
    public async Task<SubmitResult> SubmitAsync(SpoolEnvelope envelope, Stream message, SpoolVerdict verdict, CancellationToken cancellationToken)
    {
        Submission submission;
        try
        {
            submission = await BeginAsync(envelope, cancellationToken);
        }
        catch (IOException e)
        {
            return SubmitResult.Failed(envelope.QueueId, e);
        }

        await using (submission)
        {
            try
            {
                await message.CopyToAsync(submission.Body, cancellationToken);
            }
            catch (IOException e)
            {
                return SubmitResult.Failed(envelope.QueueId, e);
            }

            return await submission.SubmitAsync(verdict, cancellationToken);
        }
    }

    internal async Task<SubmitResult> CommitAsync(SpoolWriter writer, SpoolVerdict verdict, bool waitForRows, CancellationToken cancellationToken)
    {
        var length = writer.Length;
        try
        {
            await writer.CommitAsync(verdict, cancellationToken);
        }
        catch (IOException e)
        {
            await writer.DisposeAsync();
            _logger.LogError(e, "Spooling {QueueId} failed", writer.Envelope.QueueId);
            return SubmitResult.Failed(writer.Envelope.QueueId, e);
        }

        // Durable from here on: whatever happens to the rows, the message is accepted.
        var queueId = writer.Envelope.QueueId;
        var registered = RegisterAcceptedAsync(writer.Envelope, length);
        if (waitForRows)
        {
            await registered.WaitAsync(cancellationToken);
        }

        return SubmitResult.Accepted(queueId);
    }

    /// <summary>
    /// Writes the rows of a message whose spool file is durable, then tells <see cref="Submitted"/>. Never throws: rows
    /// that cannot be written now are written by a later round (<see cref="RegisterPendingAsync"/>), or from the file at
    /// the next start if the process dies first. No caller's cancellation stops it (the message is accepted).
    /// </summary>
    private Task RegisterAcceptedAsync(SpoolEnvelope envelope, long length)
    {
        var queueId = envelope.QueueId;
        var task = RegisterCoreAsync();
        if (!task.IsCompleted)
        {
            _registering[queueId] = task;
            _ = task.ContinueWith(_ => _registering.TryRemove(queueId, out Task? _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return task;

        async Task RegisterCoreAsync()
        {
            try
            {
                await _rows.EnqueueAsync(envelope, length, CancellationToken.None);
            }
            catch (Exception e) when (StorageFailures.IsTemporary(e))
            {
                _logger.LogWarning(e, "Queue rows for {QueueId} not written yet", queueId);
                _unregistered[queueId] = 0;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Queue rows for {QueueId} could not be written; trying again later", queueId);
                _unregistered[queueId] = 0;
            }

            Submitted?.Invoke(queueId);
        }
    }

    /// <summary>
    /// Whether the spool's file system has room for a message of <paramref name="declaredSize"/> octets (0: not
    /// declared): one and a half times that plus 1 MiB, as Postfix asks of its queue before it accepts MAIL. Checked
    /// per transaction, so a disk that fills answers <c>452 4.3.1</c> at MAIL, and one that empties takes mail again
    /// at once. A file system that cannot say is assumed to have room (the write itself still fails cleanly).
    /// </summary>
    public bool HasRoomFor(long declaredSize)
    {
        try
        {
            var available = new DriveInfo(_spool.Directory).AvailableFreeSpace;
            return available >= (declaredSize + (declaredSize / 2)) + (1L << 20);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return true;
        }
    }

    /// <summary>Whether an I/O failure means the disk is full (<c>452 4.3.1</c> rather than <c>451 4.3.0</c>).</summary>
    public static bool IsDiskFull(Exception e) => e is IOException io && (io.HResult == 28 || io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Start-up: tmp files of this node and of dead nodes go (never acknowledged); spool files without rows get them;
    /// files whose every recipient is settled go. Rows are looked up a thousand files at a time and only files without
    /// rows are opened, their rows written side by side, so a backlog of tens of thousands is taken up in seconds.
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
        foreach (var chunk in _spool.List().Chunk(1000))
        {
            var rows = await _rows.RecipientsOfAsync(chunk, cancellationToken);
            var missing = chunk.Where(id => rows[id].Count == 0).ToList();
            await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (queueId, token) =>
            {
                if (await RegisterAsync(queueId, token))
                {
                    Interlocked.Increment(ref registered);
                }
            });

            foreach (var queueId in chunk.Where(id => rows[id].Count > 0 && rows[id].All(r => RecipientStatuses.IsSettled(r.Status))))
            {
                _spool.Delete(queueId); // settled before the crash, removed too late
            }
        }

        if (registered > 0)
        {
            _logger.LogInformation("Registered {Count} spool file(s) that had no queue rows", registered);
        }
    }

    /// <summary>Writes the rows of files acknowledged while the database was away; one that fails waits for the next round.</summary>
    public async Task RegisterPendingAsync(CancellationToken cancellationToken)
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
                _logger.LogWarning(e, "Queue rows for {QueueId} not written yet", queueId);
            }
        }
    }

    private async Task<bool> RegisterAsync(string queueId, CancellationToken cancellationToken)
    {
        if (_spool.Open(queueId) is not { } opened)
        {
            return false;
        }

        await using (opened)
        {
            await _rows.EnqueueAsync(opened.Envelope, opened.Message.Length, cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// Claims due recipients for this node (at most <paramref name="limit"/>), grouped by message. A claim lasts
    /// <see cref="ClaimLease"/> and is renewed while this node lives; settle each with <see cref="SettleAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<QueueRecipient>> ClaimAsync(int limit, CancellationToken cancellationToken)
    {
        await RefreshDeadNodesAsync(cancellationToken);
        return await _rows.ClaimAsync(_node.Id, _time.GetUtcNow(), limit, ClaimLease, _deadNodes, cancellationToken);
    }

    /// <summary>Gives up this node's claims on waiting rows (after a failed delivery round; see <see cref="QueueStore.ReleaseClaimsAsync"/>).</summary>
    public Task<int> ReleaseClaimsAsync(CancellationToken cancellationToken) => _rows.ReleaseClaimsAsync(_node.Id, cancellationToken);

    /// <summary>Peers holding claims are asked (at most every 10 s) whether they live; a dead one's claims are free at once.</summary>
    private async Task RefreshDeadNodesAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        if (_deadNodesCheckedAt != long.MinValue && _time.GetElapsedTime(_deadNodesCheckedAt, now) < DeadNodeCheckInterval)
        {
            return;
        }

        _deadNodesCheckedAt = now;
        var claimants = await _rows.ClaimantsAsync(_node.Id, cancellationToken);
        _deadNodes = claimants.Where(n => !_node.IsPeerAlive(n)).ToList();
        if (_deadNodes.Count > 0)
        {
            _logger.LogInformation("Taking over the queue claims of dead node(s) {Nodes}", string.Join(", ", _deadNodes));
        }
    }

    /// <summary>Opens a message's spool file for delivery; null if it is gone or unreadable.</summary>
    public SpooledMessage? Open(string queueId) => _spool.Open(queueId);

    /// <summary>Records an attempt's outcome for a recipient this node claimed; false if the row changed meanwhile.</summary>
    public async Task<bool> SettleAsync(RecipientOutcome outcome, CancellationToken cancellationToken)
    {
        var applied = await _rows.SettleAsync(_node.Id, outcome, cancellationToken);
        if (!applied)
        {
            _logger.LogWarning(
                "Outcome {Status} for {QueueId} to {Recipient} not recorded: the row is no longer {Expected} and claimed by this node (held, deleted or taken over)",
                outcome.Status, outcome.QueueId, outcome.Recipient, outcome.Expected);
        }

        return applied;
    }

    /// <summary>
    /// Adds forward targets as recipients of their own (each settled on its own, with <paramref name="parent"/> as the
    /// recipient they came from).
    /// </summary>
    public Task ExpandAsync(SpoolEnvelope envelope, long size, string parent, CancellationToken cancellationToken) =>
        _rows.ExpandAsync(envelope, size, parent, null, cancellationToken);

    /// <summary>
    /// A forward target as a recipient of its own, sent from <paramref name="srsSender"/> (the SRS form of the
    /// sender); written before the parent is settled, so a crash in between repeats the expansion (a no-op), never
    /// loses it.
    /// </summary>
    public Task ExpandAsync(SpoolEnvelope envelope, long size, string parent, string? srsSender, CancellationToken cancellationToken) =>
        _rows.ExpandAsync(envelope, size, parent, srsSender, cancellationToken);

    /// <summary>
    /// Removes the spool files of those messages whose every recipient is settled. Asked after this node's outcomes are
    /// committed, so of two nodes settling the last recipients of one message, the later one sees them all.
    /// </summary>
    public async Task<int> RemoveSettledAsync(IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken)
    {
        var settled = await _rows.SettledMessagesAsync(queueIds, cancellationToken);
        foreach (var queueId in settled)
        {
            _spool.Delete(queueId);
        }

        return settled.Count;
    }

    /// <summary>Every recipient still waiting (<c>queue list</c>).</summary>
    public Task<IReadOnlyList<QueueRecipient>> WaitingAsync(CancellationToken cancellationToken) => _rows.WaitingAsync(cancellationToken);

    /// <summary>One message: its envelope (while its spool file exists), every recipient row, every attempt.</summary>
    public async Task<QueuedMessage?> ShowAsync(string queueId, CancellationToken cancellationToken)
    {
        var rows = await _rows.RecipientsAsync(queueId, cancellationToken);
        SpoolEnvelope? envelope = null;
        long? size = null;
        if (_spool.Open(queueId) is { } opened)
        {
            await using (opened)
            {
                envelope = opened.Envelope;
                size = opened.Message.Length;
            }
        }

        if (rows.Count == 0 && envelope is null)
        {
            return null;
        }

        if (rows.Count == 0)
        {
            // Accepted a moment ago, its rows not written yet (they follow the 250), or the database was away then:
            // its recipients wait for their first attempt, as the rows will say.
            rows = envelope!.Recipients.DistinctBy(r => r.Address, StringComparer.OrdinalIgnoreCase)
                .Select(r => new QueueRecipient(queueId, r.Address, RecipientStatus.Queued, 0, envelope.ReceivedAt, null, envelope.MailFrom, size ?? 0, envelope.ReceivedAt)
                {
                    Notify = r.Notify,
                    OriginalRecipient = r.OriginalRecipient,
                    Ret = envelope.Ret,
                    EnvelopeId = envelope.EnvelopeId,
                })
                .ToList();
        }

        return new QueuedMessage(queueId, envelope, size, rows, await _rows.AttemptsAsync(queueId, cancellationToken), _spool.PathOf(queueId));
    }

    /// <summary><c>queue retry</c>: the message's waiting recipients are due now.</summary>
    public Task<int> RetryAsync(string queueId, CancellationToken cancellationToken) =>
        _rows.ChangeAllAsync(queueId, [RecipientStatus.Queued, RecipientStatus.Deferred], RecipientStatus.Deferred, null, _time.GetUtcNow(), cancellationToken);

    /// <summary><c>queue hold</c>: nothing is tried for the message until it is released.</summary>
    public Task<int> HoldAsync(string queueId, CancellationToken cancellationToken) =>
        _rows.ChangeAllAsync(queueId, [RecipientStatus.Queued, RecipientStatus.Deferred], RecipientStatus.Held, null, null, cancellationToken);

    /// <summary><c>queue release</c>: a held message's recipients are due now.</summary>
    public Task<int> ReleaseAsync(string queueId, CancellationToken cancellationToken) =>
        _rows.ChangeAllAsync(queueId, [RecipientStatus.Held], RecipientStatus.Deferred, null, _time.GetUtcNow(), cancellationToken);

    /// <summary>
    /// <c>queue delete</c>: every unsettled recipient is discarded without a DSN, and the spool file removed (unlinked,
    /// not recycled) before this returns. A delivery in progress on some node finds its row changed and records nothing.
    /// </summary>
    public async Task<(bool Found, int Discarded)> DeleteAsync(string queueId, CancellationToken cancellationToken)
    {
        var discarded = await _rows.ChangeAllAsync(queueId, [RecipientStatus.Queued, RecipientStatus.Deferred, RecipientStatus.Held], RecipientStatus.Discarded,
            "deleted by the administrator", null, cancellationToken);
        var exists = File.Exists(_spool.PathOf(queueId));
        var rows = await _rows.RecipientsAsync(queueId, cancellationToken);
        if (exists && rows.All(r => RecipientStatuses.IsSettled(r.Status)))
        {
            _spool.Delete(queueId, recycle: false);
        }

        return (exists || rows.Count > 0, discarded);
    }

    /// <summary>Waits (a few seconds at most) for rows still being written; what is left is written from the spool at the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(_registering.Values).WaitAsync(TimeSpan.FromSeconds(10)); // real time: a bound on stopping
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Queue rows of {Count} message(s) not written before stopping; they are written from the spool at the next start", _registering.Count);
        }

        await _renewer.DisposeAsync();
    }
}

/// <summary>What <see cref="MessageQueue.ShowAsync"/> knows of one message.</summary>
public sealed record QueuedMessage(string QueueId, SpoolEnvelope? Envelope, long? Size, IReadOnlyList<QueueRecipient> Recipients, IReadOnlyList<QueueAttempt> Attempts, string SpoolPath);

/// <summary>The answer to a submission: accepted with its queue id, or not (the sender keeps the message).</summary>
public sealed record SubmitResult(string QueueId, bool IsAccepted, bool DiskFull, Exception? Error)
{
    public static SubmitResult Accepted(string queueId) => new(queueId, true, false, null);

    public static SubmitResult Failed(string queueId, IOException error) => new(queueId, false, MessageQueue.IsDiskFull(error), error);
}

/// <summary>
/// A message being submitted: write it to <see cref="Body"/>, let checks read it (<see cref="OpenWrittenAsync"/>),
/// then <see cref="SubmitAsync"/> with the verdict; disposing without submitting aborts and leaves no file.
/// </summary>
public sealed class Submission : IAsyncDisposable
{
    private readonly MessageQueue _queue;
    private readonly SpoolWriter _writer;
    private bool _submitted;

    internal Submission(MessageQueue queue, SpoolWriter writer)
    {
        _queue = queue;
        _writer = writer;
    }

    public SpoolEnvelope Envelope => _writer.Envelope;

    public Stream Body => _writer.Body;

    /// <summary>Message octets written so far.</summary>
    public long Length => _writer.Length;

    /// <summary>A read-only stream of the message as written so far.</summary>
    public Task<Stream> OpenWrittenAsync(CancellationToken cancellationToken) => _writer.OpenWrittenAsync(cancellationToken);

    /// <summary>Makes the message durable with its verdict and queues its recipients. Accepted means: answer 250.</summary>
    public Task<SubmitResult> SubmitAsync(SpoolVerdict verdict, CancellationToken cancellationToken) => SubmitAsync(verdict, waitForRows: true, cancellationToken);

    /// <summary>
    /// The same; with <paramref name="waitForRows"/> false it returns as soon as the spool file is durable (all a 250
    /// needs: the file is the truth) and the queue rows follow a moment later, so a client does not wait for a database
    /// round trip. SMTP intake submits so; the queue waits for rows still being written when it is disposed.
    /// </summary>
    public Task<SubmitResult> SubmitAsync(SpoolVerdict verdict, bool waitForRows, CancellationToken cancellationToken)
    {
        _submitted = true;
        return _queue.CommitAsync(_writer, verdict, waitForRows, cancellationToken);
    }

    public ValueTask DisposeAsync() => _submitted ? ValueTask.CompletedTask : _writer.DisposeAsync();
}
