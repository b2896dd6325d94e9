using Dapper;
using MailAppliance.Storage.Maildir;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

/// <summary>The per-message state an IMAP session keeps for its selected mailbox.</summary>
public readonly record struct MessageState(uint Uid, MaildirFlags Flags, string[] Keywords, long ModSeq);

/// <summary>
/// A mailbox's messages in UID order, read in one snapshot with its highest modseq; with the keywords in use (for
/// SELECT's FLAGS) and the index of the first message without \Seen (-1 if none), found while the rows were read.
/// </summary>
public sealed record MailboxSnapshot(long HighestModSeq, uint UidNext, MessageStateList Messages, IReadOnlyList<string> Keywords, int FirstUnseen);

/// <summary>What changed in a mailbox since a modseq: new or changed messages, expunged UIDs, and the new highest modseq.</summary>
public sealed record MailboxChanges(bool Exists, long HighestModSeq, uint UidNext, IReadOnlyList<MessageState> Changed, IReadOnlyList<uint> Expunged);

/// <summary>STATUS (RFC 3501 §6.3.10, RFC 9051, RFC 8438 SIZE) figures of one mailbox.</summary>
public sealed record MailboxStatus(long Messages, long Unseen, long Deleted, long Size, uint UidNext, uint UidValidity, long HighestModSeq, uint? FirstUnseenUid, long Recent = 0);

/// <summary>A user's quota: usage, and the limits (null = unlimited).</summary>
public sealed record QuotaState(long Bytes, long? BytesLimit, long Messages, long? MessagesLimit);

/// <summary>Which cached views a FETCH needs besides the basic row.</summary>
[Flags]
public enum MessageViews
{
    None = 0,
    Envelope = 1,
    Body = 2,
    BodyStructure = 4,
    Structure = 8,
}

/// <summary>One message row with the views a FETCH or SEARCH asked for.</summary>
public sealed class MessageRecord
{
    public required MessageInfo Info { get; init; }

    public byte[]? Envelope { get; init; }

    public byte[]? Body { get; init; }

    public byte[]? BodyStructure { get; init; }

    public byte[]? Structure { get; init; }
}

public sealed partial class MailStore
{
    // Snapshots of large mailboxes (MailstoreOptions.SnapshotCacheThreshold) are kept per process (a few, 13 bytes a
    // message) so that SELECT reads only what changed since; smaller ones are cheaper to read again than to keep.
    private const int SnapshotCacheSize = 16;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, MailboxSnapshot> _snapshots = new();

    /// <summary>
    /// Every message's UID, flags, keywords and modseq (pending deliveries included: their UIDs are final). Read
    /// from the primary key, which carries flags and modseq (migrations 0005, 0021) (an index-only scan: the wide rows stay on disk) into a compact
    /// list; keywords come from the few rows that have any. (A binary COPY measured no faster than this reader.)
    /// </summary>
    public async Task<MailboxSnapshot> LoadSnapshotAsync(MailboxInfo mailbox, CancellationToken cancellationToken)
    {
        // Large mailboxes: start from this process's last snapshot and read only what changed since its modseq.
        if (_snapshots.TryGetValue(mailbox.Id, out var cached) && await CatchUpAsync(mailbox, cached, cancellationToken) is { } current)
        {
            _snapshots[mailbox.Id] = current;
            return current with { Messages = current.Messages.Clone() };
        }

        var loaded = await ReadSnapshotAsync(mailbox, cancellationToken);
        if (loaded.Messages.Count >= _options.SnapshotCacheThreshold)
        {
            if (_snapshots.Count >= SnapshotCacheSize)
            {
                _snapshots.Clear();
            }

            _snapshots[mailbox.Id] = loaded with { Messages = loaded.Messages.Clone() };
        }

        return loaded;
    }

    /// <summary>
    /// A cached snapshot brought up to date by the changes since its modseq (new and changed rows, expunged UIDs),
    /// or null when it cannot be trusted: the message count then differs from the index (a reconstruct rewrote
    /// rows without expunge records), and the caller reads everything.
    /// </summary>
    private async Task<MailboxSnapshot?> CatchUpAsync(MailboxInfo mailbox, MailboxSnapshot cached, CancellationToken cancellationToken)
    {
        var changes = await GetChangesAsync(mailbox, cached.HighestModSeq, cancellationToken);
        if (!changes.Exists)
        {
            _snapshots.TryRemove(mailbox.Id, out _);
            return null;
        }

        var messages = cached.Messages.Clone();
        if (changes.Expunged.Count > 0)
        {
            messages.RemoveUids(changes.Expunged.ToHashSet());
        }

        foreach (var state in changes.Changed)
        {
            var index = messages.IndexOfUid(state.Uid);
            if (index >= 0)
            {
                messages[index] = state;
                messages.SetKeywords(state.Uid, state.Keywords);
            }
            else if (messages.Count == 0 || state.Uid > messages[messages.Count - 1].Uid)
            {
                messages.Add(state);
            }
            else
            {
                return null;
            }
        }

        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM messages WHERE mailbox_id = @id AND modseq <= @modseq", new { id = mailbox.Id, modseq = changes.HighestModSeq }, cancellationToken: cancellationToken));
        if (count != messages.Count)
        {
            _snapshots.TryRemove(mailbox.Id, out _);
            return null;
        }

        var firstUnseen = -1;
        var keywords = new HashSet<string>(cached.Keywords, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < messages.Count; i++)
        {
            var state = messages[i];
            if (firstUnseen < 0 && (state.Flags & MaildirFlags.Seen) == 0)
            {
                firstUnseen = i;
            }
        }

        foreach (var state in changes.Changed)
        {
            keywords.UnionWith(state.Keywords);
        }

        return new MailboxSnapshot(changes.HighestModSeq, changes.UidNext, messages, keywords.Order(StringComparer.Ordinal).ToList(), firstUnseen);
    }

    private async Task<MailboxSnapshot> ReadSnapshotAsync(MailboxInfo mailbox, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var head = await connection.QuerySingleOrDefaultAsync<(long HighestModSeq, long UidNext)?>(new CommandDefinition(
            "SELECT highestmodseq, uidnext FROM mailboxes WHERE id = @id", new { id = mailbox.Id }, transaction, cancellationToken: cancellationToken))
            ?? throw new MailstoreException(MailstoreError.NoSuchMailbox, $"mailbox {mailbox.Name} no longer exists");

        var messages = new MessageStateList();
        var firstUnseen = -1;
        await using (var command = new NpgsqlCommand("SELECT uid, flags, modseq FROM messages WHERE mailbox_id = $1 ORDER BY uid", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var flags = (MaildirFlags)reader.GetInt32(1);
                if (firstUnseen < 0 && (flags & MaildirFlags.Seen) == 0)
                {
                    firstUnseen = messages.Count;
                }

                messages.Add((uint)reader.GetInt64(0), flags, reader.GetInt64(2));
            }
        }

        messages.TrimExcess();
        var keywords = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using (var command = new NpgsqlCommand("SELECT uid, keywords FROM messages WHERE mailbox_id = $1 AND keywords <> '{}'", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var list = reader.GetFieldValue<string[]>(1);
                messages.SetKeywords((uint)reader.GetInt64(0), list);
                keywords.UnionWith(list);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new MailboxSnapshot(head.HighestModSeq, (uint)Math.Min(head.UidNext, uint.MaxValue), messages, keywords.Order(StringComparer.Ordinal).ToList(), firstUnseen);
    }

    /// <summary>
    /// The changes since <paramref name="sinceModSeq"/>, read in one snapshot. Modseqs are allocated under the
    /// mailbox row's lock and committed in order, so everything at or below the returned highest modseq is included.
    /// </summary>
    public async Task<MailboxChanges> GetChangesAsync(MailboxInfo mailbox, long sinceModSeq, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var head = await connection.QuerySingleOrDefaultAsync<(long HighestModSeq, long UidNext)?>(new CommandDefinition(
            "SELECT highestmodseq, uidnext FROM mailboxes WHERE id = @id", new { id = mailbox.Id }, transaction, cancellationToken: cancellationToken));
        if (head is null)
        {
            return new MailboxChanges(false, 0, 0, [], []);
        }

        if (head.Value.HighestModSeq <= sinceModSeq)
        {
            return new MailboxChanges(true, head.Value.HighestModSeq, (uint)Math.Min(head.Value.UidNext, uint.MaxValue), [], []);
        }

        var changed = await ReadStatesAsync(connection, transaction, "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid", mailbox.Id, sinceModSeq, cancellationToken);
        var expunged = (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT uid FROM expunged WHERE mailbox_id = @id AND modseq > @since ORDER BY uid", new { id = mailbox.Id, since = sinceModSeq }, transaction, cancellationToken: cancellationToken)))
            .Select(u => (uint)u).ToList();
        await transaction.CommitAsync(cancellationToken);
        return new MailboxChanges(true, head.Value.HighestModSeq, (uint)Math.Min(head.Value.UidNext, uint.MaxValue), changed, expunged);
    }

    /// <summary>The rows of the given UIDs (in UID order) with the asked-for views; UIDs without a row are skipped.</summary>
    public async Task<IReadOnlyList<MessageRecord>> FetchRecordsAsync(MailboxInfo mailbox, IReadOnlyCollection<uint> uids, MessageViews views, CancellationToken cancellationToken)
    {
        var columns = "m.uid, m.base_name, m.file_name, m.size, m.crlf_size, m.internal_date, m.flags, m.keywords, m.modseq"
            + ((views & MessageViews.Envelope) != 0 ? ", v.envelope" : ", NULL::bytea")
            + ((views & MessageViews.Body) != 0 ? ", v.body" : ", NULL::bytea")
            + ((views & MessageViews.BodyStructure) != 0 ? ", v.bodystructure" : ", NULL::bytea")
            + ((views & MessageViews.Structure) != 0 ? ", v.structure" : ", NULL::bytea");
        var set = UidCondition.For(uids);

        // The range on both sides of the join: PostgreSQL carries equalities across a join, not ranges, and without
        // it joined every view row of the mailbox to each batch (FETCH BODY[] of 10,000 messages at a quarter speed).
        var join = views == MessageViews.None ? "" : $" LEFT JOIN message_views v ON v.mailbox_id = m.mailbox_id AND v.uid = m.uid AND {set.Sql("v.uid", 2)}";
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT {columns} FROM messages m{join} WHERE m.mailbox_id = $1 AND {set.Sql("m.uid", 2)} ORDER BY m.uid", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
        set.AddParameters(command);
        var records = new List<MessageRecord>(uids.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!set.Contains((uint)reader.GetInt64(0)))
            {
                continue;
            }

            var info = new MessageInfo(mailbox.Id, (uint)reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4),
                new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(5), DateTimeKind.Utc)), (MaildirFlags)reader.GetInt32(6), reader.GetFieldValue<string[]>(7), reader.GetInt64(8));
            records.Add(new MessageRecord
            {
                Info = info,
                Envelope = reader.IsDBNull(9) ? null : reader.GetFieldValue<byte[]>(9),
                Body = reader.IsDBNull(10) ? null : reader.GetFieldValue<byte[]>(10),
                BodyStructure = reader.IsDBNull(11) ? null : reader.GetFieldValue<byte[]>(11),
                Structure = reader.IsDBNull(12) ? null : reader.GetFieldValue<byte[]>(12),
            });
        }

        return records;
    }

    public async Task<MailboxStatus> GetStatusAsync(MailboxInfo mailbox, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<StatusRow>(new CommandDefinition("""
            SELECT m.uidnext AS UidNext, m.uidvalidity AS UidValidity, m.highestmodseq AS HighestModSeq,
                   count(x.uid) AS Messages,
                   count(x.uid) FILTER (WHERE x.flags & 16 = 0) AS Unseen,
                   count(x.uid) FILTER (WHERE x.flags & 32 <> 0) AS Deleted,
                   coalesce(sum(x.crlf_size), 0)::bigint AS Size,
                   min(x.uid) FILTER (WHERE x.flags & 16 = 0) AS FirstUnseen,
                   count(x.uid) FILTER (WHERE x.uid >= m.first_recent_uid) AS Recent
            FROM mailboxes m LEFT JOIN messages x ON x.mailbox_id = m.id
            WHERE m.id = @id
            GROUP BY m.id
            """, new { id = mailbox.Id }, cancellationToken: cancellationToken))
            ?? throw new MailstoreException(MailstoreError.NoSuchMailbox, $"mailbox {mailbox.Name} no longer exists");
        return new MailboxStatus(row.Messages, row.Unseen, row.Deleted, row.Size, (uint)Math.Min(row.UidNext, uint.MaxValue), (uint)row.UidValidity, row.HighestModSeq,
            row.FirstUnseen is { } f ? (uint)f : null, row.Recent);
    }

    public async Task<QuotaState> GetQuotaAsync(MailUser user, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(long? Bytes, long? Messages, long? QuotaBytes, long? QuotaMessages)>(new CommandDefinition("""
            SELECT q.bytes, q.messages, u.quota_bytes, u.quota_messages
            FROM users u LEFT JOIN quota_usage q ON q.user_id = u.address_id WHERE u.address_id = @id
            """, new { id = user.Id }, cancellationToken: cancellationToken));
        return new QuotaState(row.Bytes ?? 0, row.QuotaBytes, row.Messages ?? 0, row.QuotaMessages);
    }

    private static async Task<List<MessageState>> ReadStatesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, long mailboxId, long? since, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailboxId });
        if (since is { } s)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = s });
        }

        var states = new List<MessageState>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var keywords = reader.GetFieldValue<string[]>(2);
            states.Add(new MessageState((uint)reader.GetInt64(0), (MaildirFlags)reader.GetInt32(1), keywords.Length == 0 ? [] : keywords, reader.GetInt64(3)));
        }

        return states;
    }

    private sealed class StatusRow
    {
        public long UidNext { get; init; }

        public long UidValidity { get; init; }

        public long HighestModSeq { get; init; }

        public long Messages { get; init; }

        public long Unseen { get; init; }

        public long Deleted { get; init; }

        public long Size { get; init; }

        public long? FirstUnseen { get; init; }

        public long Recent { get; init; }
    }
}
