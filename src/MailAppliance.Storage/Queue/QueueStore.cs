using Dapper;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Spool;
using Npgsql;

namespace MailAppliance.Storage.Queue;

/// <summary>
/// The queue's recipient rows in PostgreSQL: what waits, who works on it (claims with a lease), what happened (status
/// and every attempt). The spool files are the truth about which messages exist; these rows say what became of each
/// recipient. Only <see cref="MessageQueue"/> uses this class: the rules live in one place.
/// </summary>
internal sealed class QueueStore
{
    private static readonly string Columns = ColumnsOf("queue_recipients");

    private static string ColumnsOf(string table) => $"""
        {table}.queue_id AS QueueId, {table}.recipient, status, attempts, next_attempt_at AS NextAttemptAt, last_result AS LastResult,
        mail_from AS MailFrom, size, received_at AS ReceivedAt, notify, orcpt AS OriginalRecipient, ret, envid AS EnvelopeId,
        parent, route, srs_sender AS SrsSender, claimed_by AS ClaimedBy, claim_expires_at AS ClaimExpiresAt,
        delay_warned AS DelayWarned, updated_at AS UpdatedAt
        """;

    private readonly NpgsqlDataSource _db;
    private readonly StatementBatcher<PendingRows> _enqueueBatcher;
    private readonly StatementBatcher<(string Node, RecipientOutcome Outcome), bool> _settleBatcher;

    public QueueStore(StorageDatabase db)
    {
        _db = db.Source;
        _enqueueBatcher = new StatementBatcher<PendingRows>(InsertAsync);
        _settleBatcher = new StatementBatcher<(string, RecipientOutcome), bool>(SettleBatchAsync);
    }

    /// <summary>
    /// Records the recipients of a spooled message; rows that exist already are left as they are. Concurrent calls
    /// share one statement (group commit): the rows of every message waiting while a batch runs go in the next one.
    /// The insert wakes every node listening on <c>queue_changed</c> (a statement trigger).
    /// </summary>
    public Task EnqueueAsync(SpoolEnvelope envelope, long size, CancellationToken cancellationToken) =>
        _enqueueBatcher.AddAsync(new PendingRows(envelope, size, null, null), cancellationToken);

    /// <summary>
    /// Adds rows for the targets a recipient was expanded into (forwards), each settled on its own; the parent names
    /// the recipient they came from.
    /// </summary>
    public Task ExpandAsync(SpoolEnvelope envelope, long size, string parent, string? srsSender, CancellationToken cancellationToken) =>
        _enqueueBatcher.AddAsync(new PendingRows(envelope, size, parent, srsSender), cancellationToken);

    private async Task InsertAsync(List<PendingRows> batch)
    {
        var rows = batch.SelectMany(p => p.Envelope.Recipients.DistinctBy(r => r.Address, StringComparer.OrdinalIgnoreCase).Select(r => (p.Envelope, p.Size, p.Parent, p.SrsSender, Recipient: r))).ToList();
        await using var connection = await _db.OpenConnectionAsync();
        // The spool file (durable before this) is the truth: rows lost with an unflushed commit are written again from
        // it at start-up, so this commit need not wait for PostgreSQL's WAL flush. No caller's cancellation stops a
        // statement that carries other sessions' rows too.
        // One statement, its own transaction: set_config(..., true) lasts until that transaction's commit, which is
        // where synchronous_commit is read (BEGIN, SET LOCAL and COMMIT were three more statements per batch).
        await connection.ExecuteAsync(new CommandDefinition("""
            WITH unsynced AS (SELECT set_config('synchronous_commit', 'off', true))
            INSERT INTO queue_recipients (queue_id, recipient, status, mail_from, size, received_at, next_attempt_at, notify, orcpt, ret, envid, parent, srs_sender)
            SELECT q, r, 'queued', f, s, t, t, n, o, rt, e, p, ss
            FROM unnest(@queueIds, @recipients, @mailFroms, @sizes, @receivedAts, @notifies, @orcpts, @rets, @envids, @parents, @srsSenders)
                AS u (q, r, f, s, t, n, o, rt, e, p, ss), unsynced
            ON CONFLICT DO NOTHING
            """, new
        {
            queueIds = rows.Select(r => r.Envelope.QueueId).ToArray(),
            recipients = rows.Select(r => r.Recipient.Address).ToArray(),
            mailFroms = rows.Select(r => r.Envelope.MailFrom).ToArray(),
            sizes = rows.Select(r => r.Size).ToArray(),
            receivedAts = rows.Select(r => r.Envelope.ReceivedAt.UtcDateTime).ToArray(),
            notifies = rows.Select(r => r.Recipient.Notify).ToArray(),
            orcpts = rows.Select(r => r.Recipient.OriginalRecipient).ToArray(),
            rets = rows.Select(r => r.Envelope.Ret).ToArray(),
            envids = rows.Select(r => r.Envelope.EnvelopeId).ToArray(),
            parents = rows.Select(r => r.Parent).ToArray(),
            srsSenders = rows.Select(r => r.SrsSender).ToArray(),
        }));
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> recipients due at <paramref name="now"/> for <paramref name="node"/>:
    /// unclaimed, or claimed by a node whose lease ran out or that is known dead. Rows another node is claiming at
    /// the same moment are skipped, never waited for.
    /// A row due more than a day after <paramref name="now"/> is due now: no retry is ever scheduled that far ahead,
    /// so only a clock that jumped back (an RTC reset, a large NTP step) put it there, and the backlog of such a jump
    /// would otherwise wait out the whole jump.
    /// </summary>
    public async Task<IReadOnlyList<QueueRecipient>> ClaimAsync(string node, DateTimeOffset now, int limit, TimeSpan lease, IReadOnlyCollection<string> deadNodes, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"""
            WITH due AS (
                SELECT queue_id, recipient FROM queue_recipients
                WHERE status IN ('queued', 'deferred') AND (next_attempt_at <= @now OR next_attempt_at > @now + interval '1 day')
                  AND (claimed_by IS NULL OR claim_expires_at < now() OR claimed_by = ANY(@deadNodes))
                ORDER BY next_attempt_at, queue_id LIMIT @limit
                FOR UPDATE SKIP LOCKED)
            UPDATE queue_recipients q SET claimed_by = @node, claim_expires_at = now() + @lease
            FROM due WHERE q.queue_id = due.queue_id AND q.recipient = due.recipient
            RETURNING {ColumnsOf("q")}
            """, new { node, now = now.UtcDateTime, limit, lease, deadNodes = deadNodes.ToArray() }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecipient()).OrderBy(r => r.ReceivedAt).ThenBy(r => r.QueueId, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Gives up every claim <paramref name="node"/> holds on a waiting row: after a delivery round failed (the database
    /// went away before its outcomes were settled), nothing of the node is in flight any more, and its lease renewal
    /// would otherwise keep those rows from every node for as long as it lives (found by the reliability battery's
    /// database restart under load: mail stuck until a restart).
    /// </summary>
    public async Task<int> ReleaseClaimsAsync(string node, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE queue_recipients SET claimed_by = NULL, claim_expires_at = NULL WHERE claimed_by = @node AND status IN ('queued', 'deferred')",
            new { node }, cancellationToken: cancellationToken));
    }

    /// <summary>Extends every claim <paramref name="node"/> holds (its lease renewal).</summary>
    public async Task RenewClaimsAsync(string node, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE queue_recipients SET claim_expires_at = now() + @lease WHERE claimed_by = @node",
            new { node, lease }, cancellationToken: cancellationToken));
    }

    /// <summary>The other nodes that hold claims now (to ask whether they still live).</summary>
    public async Task<IReadOnlyList<string>> ClaimantsAsync(string exceptNode, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT claimed_by FROM queue_recipients WHERE claimed_by IS NOT NULL AND claimed_by <> @exceptNode",
            new { exceptNode }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>
    /// Records what an attempt did, if the row is still as the worker claimed it (its status and its claim): a row an
    /// administrator held or deleted meanwhile, or that another node took over after this node's lease ran out, is
    /// left alone. Concurrent calls share one statement. Returns whether the outcome was recorded.
    /// </summary>
    public Task<bool> SettleAsync(string node, RecipientOutcome outcome, CancellationToken cancellationToken) =>
        _settleBatcher.AddAsync((node, outcome), cancellationToken);

    private async Task<IReadOnlyList<bool>> SettleBatchAsync(List<(string Node, RecipientOutcome Outcome)> batch)
    {
        await using var connection = await _db.OpenConnectionAsync();
        // Committed without waiting for the WAL flush: a lost outcome means one more attempt, which the store's
        // delivery key turns into a no-op for a local mailbox. A batch with an outcome of a remote delivery waits
        // for the flush (a repeated remote delivery is a duplicate at the recipient). One statement, its own
        // transaction, one round trip: set_config(..., true) holds until its commit.
        var durable = batch.Any(b => b.Outcome.Durable);
        var applied = (await connection.QueryAsync<(int Index, bool Set)>(new CommandDefinition("""
            WITH u AS (
                SELECT * FROM unnest(@indexes, @nodes, @queueIds, @recipients, @expected, @statuses, @results, @nexts, @routes, @warned)
                    AS u (i, node, queue_id, recipient, expected, status, result, next, route, warned)),
            done AS (
                UPDATE queue_recipients q SET status = u.status, last_result = u.result, attempts = q.attempts + 1,
                       next_attempt_at = coalesce(u.next, q.next_attempt_at), route = coalesce(u.route, q.route),
                       delay_warned = coalesce(u.warned, q.delay_warned), claimed_by = NULL, claim_expires_at = NULL, updated_at = now()
                FROM u
                WHERE q.queue_id = u.queue_id AND q.recipient = u.recipient AND q.status = u.expected AND q.claimed_by = u.node
                RETURNING u.i, u.node, q.queue_id, q.recipient, q.status, u.result),
            attempts AS (
                INSERT INTO queue_attempts (queue_id, recipient, node, status, reply)
                SELECT queue_id, recipient, node, status, result FROM done)
            SELECT i AS Index, CASE WHEN @durable THEN true ELSE set_config('synchronous_commit', 'off', true) IS NOT NULL END AS Set FROM done
            """, new
        {
            durable,
            indexes = Enumerable.Range(0, batch.Count).ToArray(),
            nodes = batch.Select(b => b.Node).ToArray(),
            queueIds = batch.Select(b => b.Outcome.QueueId).ToArray(),
            recipients = batch.Select(b => b.Outcome.Recipient).ToArray(),
            expected = batch.Select(b => RecipientStatuses.Text(b.Outcome.Expected)).ToArray(),
            statuses = batch.Select(b => RecipientStatuses.Text(b.Outcome.Status)).ToArray(),
            results = batch.Select(b => b.Outcome.Result).ToArray(),
            nexts = batch.Select(b => b.Outcome.NextAttempt?.UtcDateTime).ToArray(),
            routes = batch.Select(b => b.Outcome.Route).ToArray(),
            warned = batch.Select(b => b.Outcome.DelayWarned).ToArray(),
        }))).Select(r => r.Index).ToHashSet();
        return Enumerable.Range(0, batch.Count).Select(applied.Contains).ToList();
    }

    /// <summary>Of these messages, the ones whose every row is settled (their spool files may go).</summary>
    public async Task<IReadOnlyList<string>> SettledMessagesAsync(IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT queue_id FROM queue_recipients WHERE queue_id = ANY(@queueIds)
            GROUP BY queue_id HAVING bool_and(status IN ('delivered', 'bounced', 'forwarded', 'discarded', 'failed'))
            """, new { queueIds = queueIds.ToArray() }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>Every row, or one message's rows, oldest first.</summary>
    public async Task<IReadOnlyList<QueueRecipient>> RecipientsAsync(string? queueId, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"""
            SELECT {Columns} FROM queue_recipients WHERE @queueId::text IS NULL OR queue_id = @queueId ORDER BY received_at, queue_id, recipient
            """, new { queueId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecipient()).ToList();
    }

    /// <summary>The rows still waiting (queued, deferred, held, or being worked on), oldest first.</summary>
    public async Task<IReadOnlyList<QueueRecipient>> WaitingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"""
            SELECT {Columns} FROM queue_recipients WHERE status IN ('queued', 'deferred', 'held') ORDER BY received_at, queue_id, recipient
            """, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecipient()).ToList();
    }

    /// <summary>The rows of several messages in one round trip, by queue id.</summary>
    public async Task<IReadOnlyDictionary<string, List<QueueRecipient>>> RecipientsOfAsync(IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"""
            SELECT {Columns} FROM queue_recipients WHERE queue_id = ANY(@queueIds) ORDER BY queue_id, recipient
            """, new { queueIds = queueIds.ToArray() }, cancellationToken: cancellationToken));
        var byMessage = queueIds.Distinct(StringComparer.Ordinal).ToDictionary(id => id, _ => new List<QueueRecipient>(), StringComparer.Ordinal);
        foreach (var r in rows)
        {
            byMessage[r.QueueId].Add(r.ToRecipient());
        }

        return byMessage;
    }

    /// <summary>Every attempt made for a message, in order.</summary>
    public async Task<IReadOnlyList<QueueAttempt>> AttemptsAsync(string queueId, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(DateTime At, string Recipient, string Node, string Status, string Reply)>(new CommandDefinition(
            "SELECT attempted_at, recipient, node, status, reply FROM queue_attempts WHERE queue_id = @queueId ORDER BY id",
            new { queueId }, cancellationToken: cancellationToken));
        return rows.Select(r => new QueueAttempt(Utc(r.At), r.Recipient, r.Node, RecipientStatuses.Parse(r.Status), r.Reply)).ToList();
    }

    /// <summary>
    /// Changes every row of a message in <paramref name="from"/> to <paramref name="to"/> (admin verbs), due at
    /// <paramref name="dueAt"/> when given; returns how many.
    /// </summary>
    public async Task<int> ChangeAllAsync(string queueId, IReadOnlyList<RecipientStatus> from, RecipientStatus to, string? result, DateTimeOffset? dueAt, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var count = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE queue_recipients SET status = @to, last_result = coalesce(@result, last_result),
                   next_attempt_at = coalesce(@dueAt, next_attempt_at), updated_at = now()
            WHERE queue_id = @queueId AND status = ANY(@from)
            """, new { queueId, from = from.Select(RecipientStatuses.Text).ToArray(), to = RecipientStatuses.Text(to), result, dueAt = dueAt?.UtcDateTime }, cancellationToken: cancellationToken));
        if (count > 0 && dueAt is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify('queue_changed', '')", cancellationToken: cancellationToken));
        }

        return count;
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>One message's rows waiting for the next batch.</summary>
    private sealed record PendingRows(SpoolEnvelope Envelope, long Size, string? Parent, string? SrsSender);

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

        public string? Notify { get; init; }

        public string? OriginalRecipient { get; init; }

        public string? Ret { get; init; }

        public string? EnvelopeId { get; init; }

        public string? Parent { get; init; }

        public string? Route { get; init; }

        public string? SrsSender { get; init; }

        public string? ClaimedBy { get; init; }

        public DateTime? ClaimExpiresAt { get; init; }

        public bool DelayWarned { get; init; }

        public DateTime UpdatedAt { get; init; }

        public QueueRecipient ToRecipient() => new(QueueId, Recipient, RecipientStatuses.Parse(Status), Attempts, Utc(NextAttemptAt), LastResult, MailFrom, Size, Utc(ReceivedAt))
        {
            Notify = Notify,
            OriginalRecipient = OriginalRecipient,
            Ret = Ret,
            EnvelopeId = EnvelopeId,
            Parent = Parent,
            Route = Route,
            SrsSender = SrsSender,
            ClaimedBy = ClaimedBy,
            ClaimExpiresAt = ClaimExpiresAt is { } c ? Utc(c) : null,
            DelayWarned = DelayWarned,
            UpdatedAt = Utc(UpdatedAt),
        };
    }
}
