using MailAppliance.Storage.Database;
using Dapper;
using MailAppliance.Storage.Spool;
using Npgsql;

namespace MailAppliance.Storage.Queue;

public enum RecipientStatus
{
    Queued,
    Deferred,
    Delivered,
    Failed,
    Discarded,
}

public sealed record QueueRecipient(string QueueId, string Recipient, RecipientStatus Status, int Attempts, DateTimeOffset NextAttemptAt, string? LastResult, string MailFrom, long Size, DateTimeOffset ReceivedAt);

/// <summary>The queue's recipient rows in PostgreSQL (for reports, retries and <c>queue list</c>).</summary>
public sealed class QueueStore
{
    private readonly NpgsqlDataSource _db;
    private readonly StatementBatcher<PendingRows> _enqueueBatcher;
    private readonly StatementBatcher<StatusUpdate> _statusBatcher;

    public QueueStore(StorageDatabase db)
    {
        _db = db.Source;
        _enqueueBatcher = new StatementBatcher<PendingRows>(InsertAsync);
        _statusBatcher = new StatementBatcher<StatusUpdate>(UpdateStatusesAsync);
    }

    /// <summary>
    /// Records the recipients of a spooled message; rows that exist already are left as they are. Concurrent calls
    /// share one statement (group commit): the rows of every message waiting while a batch runs go in the next one.
    /// </summary>
    public Task EnqueueAsync(SpoolEnvelope envelope, long size, CancellationToken cancellationToken) =>
        _enqueueBatcher.AddAsync(new PendingRows(envelope, size), cancellationToken);

    private async Task InsertAsync(List<PendingRows> batch)
    {
        var rows = batch.SelectMany(p => p.Envelope.Recipients.Distinct().Select(r => (p.Envelope, p.Size, Recipient: r))).ToList();
        await using var connection = await _db.OpenConnectionAsync();
        // The spool file (fsync'd before this) is the truth: rows lost with an unflushed commit are written again from
        // it at start-up, so this commit need not wait for PostgreSQL's WAL flush. No caller's cancellation stops a
        // statement that carries other sessions' rows too.
        await connection.ExecuteAsync(new CommandDefinition("""
            BEGIN;
            SET LOCAL synchronous_commit TO OFF;
            INSERT INTO queue_recipients (queue_id, recipient, status, mail_from, size, received_at)
            SELECT q, r, 'queued', f, s, t FROM unnest(@queueIds, @recipients, @mailFroms, @sizes, @receivedAts) AS u (q, r, f, s, t)
            ON CONFLICT DO NOTHING;
            COMMIT;
            """, new
        {
            queueIds = rows.Select(r => r.Envelope.QueueId).ToArray(),
            recipients = rows.Select(r => r.Recipient).ToArray(),
            mailFroms = rows.Select(r => r.Envelope.MailFrom).ToArray(),
            sizes = rows.Select(r => r.Size).ToArray(),
            receivedAts = rows.Select(r => r.Envelope.ReceivedAt.UtcDateTime).ToArray(),
        }));
    }

    /// <summary>Queue ids with a recipient due now, oldest first.</summary>
    public async Task<IReadOnlyList<string>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT queue_id FROM queue_recipients WHERE status IN ('queued', 'deferred') AND next_attempt_at <= @now
            GROUP BY queue_id ORDER BY min(received_at) LIMIT @limit
            """, new { now = now.UtcDateTime, limit }, cancellationToken: cancellationToken))).ToList();
    }

    public async Task<IReadOnlyList<QueueRecipient>> RecipientsAsync(string? queueId, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition("""
            SELECT queue_id AS QueueId, recipient, status, attempts, next_attempt_at AS NextAttemptAt, last_result AS LastResult,
                   mail_from AS MailFrom, size, received_at AS ReceivedAt
            FROM queue_recipients WHERE @queueId::text IS NULL OR queue_id = @queueId ORDER BY received_at, queue_id, recipient
            """, new { queueId }, cancellationToken: cancellationToken));
        return rows.Select(r => new QueueRecipient(r.QueueId, r.Recipient, Enum.Parse<RecipientStatus>(r.Status, ignoreCase: true), r.Attempts,
            Utc(r.NextAttemptAt), r.LastResult, r.MailFrom, r.Size, Utc(r.ReceivedAt))).ToList();
    }

    /// <summary>The rows of several messages in one round trip (a delivery round), by queue id.</summary>
    public async Task<IReadOnlyDictionary<string, List<QueueRecipient>>> RecipientsOfAsync(IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition("""
            SELECT queue_id AS QueueId, recipient, status, attempts, next_attempt_at AS NextAttemptAt, last_result AS LastResult,
                   mail_from AS MailFrom, size, received_at AS ReceivedAt
            FROM queue_recipients WHERE queue_id = ANY(@queueIds) ORDER BY queue_id, recipient
            """, new { queueIds = queueIds.ToArray() }, cancellationToken: cancellationToken));
        var byMessage = queueIds.Distinct(StringComparer.Ordinal).ToDictionary(id => id, _ => new List<QueueRecipient>(), StringComparer.Ordinal);
        foreach (var r in rows)
        {
            byMessage[r.QueueId].Add(new QueueRecipient(r.QueueId, r.Recipient, Enum.Parse<RecipientStatus>(r.Status, ignoreCase: true), r.Attempts,
                Utc(r.NextAttemptAt), r.LastResult, r.MailFrom, r.Size, Utc(r.ReceivedAt)));
        }

        return byMessage;
    }

    /// <summary>
    /// Records what a delivery attempt did. Concurrent calls share one statement (group commit), as
    /// <see cref="EnqueueAsync"/> does; a lost update (the commit does not wait for the WAL flush) only means one more
    /// attempt, which the store's delivery key turns into a no-op.
    /// </summary>
    public Task SetStatusAsync(string queueId, string recipient, RecipientStatus status, string result, DateTimeOffset? nextAttempt, CancellationToken cancellationToken) =>
        _statusBatcher.AddAsync(new StatusUpdate(queueId, recipient, status, result, nextAttempt), cancellationToken);

    private async Task UpdateStatusesAsync(List<StatusUpdate> batch)
    {
        await using var connection = await _db.OpenConnectionAsync();
        await using var command = new NpgsqlBatch(connection);
        command.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        command.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO OFF"));
        var update = new NpgsqlBatchCommand("""
            UPDATE queue_recipients q SET status = u.status, last_result = u.result, attempts = q.attempts + 1,
                   next_attempt_at = coalesce(u.next, q.next_attempt_at), updated_at = now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS u (queue_id, recipient, status, result, next)
            WHERE q.queue_id = u.queue_id AND q.recipient = u.recipient
            """);
        update.Parameters.Add(new NpgsqlParameter { Value = batch.Select(u => u.QueueId).ToArray() });
        update.Parameters.Add(new NpgsqlParameter { Value = batch.Select(u => u.Recipient).ToArray() });
        update.Parameters.Add(new NpgsqlParameter { Value = batch.Select(u => u.Status.ToString().ToLowerInvariant()).ToArray() });
        update.Parameters.Add(new NpgsqlParameter { Value = batch.Select(u => u.Result).ToArray() });
        update.Parameters.Add(new NpgsqlParameter { Value = batch.Select(u => u.NextAttempt?.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.BatchCommands.Add(update);
        command.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Makes every unsettled recipient of a message due now (<c>queue retry</c>).</summary>
    public async Task<int> RetryNowAsync(string queueId, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE queue_recipients SET next_attempt_at = now(), updated_at = now() WHERE queue_id = @queueId AND status IN ('queued', 'deferred')",
            new { queueId }, cancellationToken: cancellationToken));
    }

    /// <summary>Marks every unsettled recipient discarded (<c>queue delete</c>): nothing more is tried.</summary>
    public async Task<int> DiscardAsync(string queueId, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE queue_recipients SET status = 'discarded', last_result = @reason, updated_at = now() WHERE queue_id = @queueId AND status IN ('queued', 'deferred')",
            new { queueId, reason }, cancellationToken: cancellationToken));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>One message's rows waiting for the next batch.</summary>
    private sealed record PendingRows(SpoolEnvelope Envelope, long Size);

    private sealed record StatusUpdate(string QueueId, string Recipient, RecipientStatus Status, string Result, DateTimeOffset? NextAttempt);

    private sealed class Row
    {
        public string QueueId { get; init; } = "";

        public string Recipient { get; init; } = "";

        public string Status { get; init; } = "";

        public int Attempts { get; init; }

        public DateTime NextAttemptAt { get; init; }

        public string? LastResult { get; init; }

        public string MailFrom { get; init; } = "";

        public long Size { get; init; }

        public DateTime ReceivedAt { get; init; }
    }
}
