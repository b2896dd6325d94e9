using Dapper;
using MailAppliance.Core.Addresses;
using MailAppliance.Mime;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

public sealed partial class MailStore
{
    // When this process last accepted a delivery (TimeProvider timestamp): the indexer gives deliveries the way.
    private long _lastDeliveryActivity;

    /// <summary>How long ago this process last took a delivery (the search indexer waits for a pause).</summary>
    public TimeSpan SinceLastDelivery => _time.GetElapsedTime(Interlocked.Read(ref _lastDeliveryActivity));

    private void NoteDeliveryActivity() => Interlocked.Exchange(ref _lastDeliveryActivity, _time.GetTimestamp());

    // Clients' commands being served now (IMAP, POP3), and when the last one ended.
    private int _clientCommands;
    private long _lastClientCommand;

    /// <summary>
    /// A client's command is being served until the scope is disposed: the search indexer waits for the commands
    /// to end and a pause to pass, as it does for deliveries (a reader waiting for FETCH comes before an index that
    /// SEARCH does not need to be exact). Not for a command that waits on the client (IDLE).
    /// </summary>
    public ClientCommandScope ClientCommand()
    {
        Interlocked.Increment(ref _clientCommands);
        return new ClientCommandScope(this);
    }

    /// <summary>Whether a client's command runs, or one ended less than <paramref name="quiet"/> ago.</summary>
    public bool ClientsBusy(TimeSpan quiet) =>
        Volatile.Read(ref _clientCommands) > 0 || _time.GetElapsedTime(Interlocked.Read(ref _lastClientCommand)) < quiet;

    private void EndClientCommand()
    {
        Interlocked.Exchange(ref _lastClientCommand, _time.GetTimestamp());
        Interlocked.Decrement(ref _clientCommands);
    }

    /// <summary>See <see cref="ClientCommand"/>.</summary>
    public readonly struct ClientCommandScope(MailStore store) : IDisposable
    {
        public void Dispose() => store.EndClientCommand();
    }

    /// <summary>
    /// Moves up to <paramref name="batchSize"/> messages from <c>search_pending</c> into the trigram-indexed
    /// <c>message_search</c>, in one transaction; rows without text (indexed before migration 0020, reconstructed,
    /// or copied from such a message) get it from their files. Rows are claimed with SKIP LOCKED, so every process
    /// may run this at once. Returns how many were indexed (0: nothing is pending).
    /// </summary>
    /// <remarks>
    /// An EXPUNGE locks the message row and then, by the foreign keys' cascade, its pending row; the indexer takes
    /// both too, and skips a message whose row is taken rather than waiting for it: it never waits for an EXPUNGE,
    /// so the two cannot deadlock (an EXPUNGE may wait for a batch to commit).
    /// </remarks>
    public async Task<int> IndexPendingAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<PendingRow>(new CommandDefinition("""
            SELECT p.mailbox_id AS MailboxId, p.uid AS Uid, p.header AS Header, p.mime AS Mime, p.addresses AS Addresses, p.body AS Body, p.complete AS Complete
            FROM search_pending p JOIN messages m ON m.mailbox_id = p.mailbox_id AND m.uid = p.uid
            ORDER BY p.mailbox_id, p.uid LIMIT @n
            FOR KEY SHARE OF m SKIP LOCKED FOR UPDATE OF p SKIP LOCKED
            """, new { n = batchSize }, transaction, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return 0;
        }

        var texts = new List<(PendingRow Row, SearchText Text)>(rows.Count);
        var withoutText = rows.Where(r => r.Complete is null || r.Header is null).ToList();
        var files = withoutText.Count == 0 ? [] : await ReadSearchTextsAsync(connection, transaction, withoutText, cancellationToken);
        foreach (var row in rows)
        {
            if (row.Complete is { } complete && row.Header is not null)
            {
                texts.Add((row, new SearchText(row.Header, row.Mime ?? "", row.Addresses ?? "", row.Body ?? "", complete)));
            }
            else
            {
                // A file that is gone is indexed as empty and incomplete: SEARCH looks again (and finds nothing).
                texts.Add((row, files.TryGetValue((row.MailboxId, row.Uid), out var text) ? text : new SearchText("", "", "", "", false)));
            }
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO message_search (mailbox_id, uid, header, mime, addresses, body, complete)
            SELECT * FROM unnest(@mailboxes, @uids, @headers, @mimes, @addresses, @bodies, @completes)
            ON CONFLICT (mailbox_id, uid) DO UPDATE SET header = excluded.header, mime = excluded.mime, addresses = excluded.addresses,
                body = excluded.body, complete = excluded.complete;
            DELETE FROM message_subjects s USING unnest(@mailboxes, @uids) AS d (mailbox_id, uid) WHERE s.mailbox_id = d.mailbox_id AND s.uid = d.uid;
            INSERT INTO message_subjects (mailbox_id, uid, subject)
            SELECT * FROM unnest(@mailboxes, @uids, @subjects) AS s (mailbox_id, uid, subject) WHERE s.subject IS NOT NULL;
            DELETE FROM search_pending p USING unnest(@mailboxes, @uids) AS d (mailbox_id, uid) WHERE p.mailbox_id = d.mailbox_id AND p.uid = d.uid
            """, new
        {
            subjects = texts.Select(t => TextSearch.SubjectValues(t.Text.Header)).ToArray(),
            mailboxes = texts.Select(t => t.Row.MailboxId).ToArray(),
            uids = texts.Select(t => t.Row.Uid).ToArray(),
            headers = texts.Select(t => t.Text.Header).ToArray(),
            mimes = texts.Select(t => t.Text.Mime).ToArray(),
            addresses = texts.Select(t => t.Text.Addresses).ToArray(),
            bodies = texts.Select(t => t.Text.Body).ToArray(),
            completes = texts.Select(t => t.Text.Complete).ToArray(),
        }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return rows.Count;
    }

    /// <summary>
    /// Refreshes the planner's statistics of the search table: until they know how many rows a mailbox has, a
    /// search walks the mailbox's rows instead of the trigram index (65 ms instead of 3 ms on 10,000 messages).
    /// </summary>
    /// <remarks>
    /// Only when a good part of the table changed since its last analysis (by this process or any other, or before
    /// a restart): PostgreSQL counts that itself. Autovacuum would get there too, but later (after 10 % of the table).
    /// </remarks>
    /// <returns>Whether the statistics were refreshed.</returns>
    public async Task<bool> AnalyzeSearchIndexAsync(long minimumChanges, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var stale = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT coalesce((SELECT n_mod_since_analyze >= @minimum FROM pg_stat_user_tables WHERE relid = 'message_search'::regclass), false)
            """, new { minimum = minimumChanges }, cancellationToken: cancellationToken));
        if (stale)
        {
            await connection.ExecuteAsync(new CommandDefinition("ANALYZE message_search; ANALYZE message_subjects", cancellationToken: cancellationToken));
        }

        return stale;
    }

    /// <summary>How many messages wait for the search indexer.</summary>
    public async Task<long> CountPendingSearchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM search_pending", cancellationToken: cancellationToken));
    }

    /// <summary>The search text of messages read from their files (by mailbox: where their folder is, then each file).</summary>
    private async Task<Dictionary<(long MailboxId, long Uid), SearchText>> ReadSearchTextsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<PendingRow> rows, CancellationToken cancellationToken)
    {
        var result = new Dictionary<(long, long), SearchText>();
        var boxes = (await connection.QueryAsync<(long Id, long UserId, string Display, string Name, long UidValidity, long UidNext, long HighestModSeq)>(new CommandDefinition("""
            SELECT b.id, b.user_id, a.display, b.name, b.uidvalidity, b.uidnext, b.highestmodseq
            FROM mailboxes b JOIN addresses a ON a.id = b.user_id WHERE b.id = ANY(@ids)
            """, new { ids = rows.Select(r => r.MailboxId).Distinct().ToArray() }, transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var box in boxes)
        {
            if (!MailAddress.TryParse(box.Display, out var address, out _))
            {
                continue;
            }

            var info = ToInfo(RootOf(new MailUser(box.UserId, address!)), new MailboxRow
            {
                Id = box.Id, UserId = box.UserId, Name = box.Name, UidValidity = box.UidValidity, UidNext = box.UidNext, HighestModSeq = box.HighestModSeq,
            });
            var uids = rows.Where(r => r.MailboxId == box.Id).Select(r => (uint)r.Uid).ToList();
            foreach (var record in await FetchRecordsAsync(info, uids, MessageViews.None, cancellationToken))
            {
                await using var file = OpenMessage(info, record.Info);
                if (file is null)
                {
                    continue;
                }

                var structure = await MimeParser.ParseAsync(file, cancellationToken: cancellationToken);
                file.Position = 0;
                result[(box.Id, record.Info.Uid)] = SearchText.Build(structure, file, _options.MaxSearchTextBytes);
            }
        }

        return result;
    }

    private sealed class PendingRow
    {
        public long MailboxId { get; init; }

        public long Uid { get; init; }

        public string? Header { get; init; }

        public string? Mime { get; init; }

        public string? Addresses { get; init; }

        public string? Body { get; init; }

        public bool? Complete { get; init; }
    }
}
