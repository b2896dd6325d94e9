using Dapper;
using MailAppliance.Mime;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// The answer of the index to one text key: the messages that match for certain, and those whose indexed text is
/// incomplete (cut at the size limit, or indexed before the search columns existed) and did not match in what
/// there is: <see cref="MailStore.ConfirmTextAsync"/> reads their files.
/// </summary>
public sealed record TextMatches(IReadOnlySet<uint> Matched, IReadOnlySet<uint> Unsure);

/// <summary>A message's sort keys with the row's own dates and sizes (RFC 5256 ARRIVAL, SIZE).</summary>
public sealed record SortRow(uint Uid, DateTimeOffset InternalDate, long Size, SortKeys Keys);

public sealed partial class MailStore
{
    /// <summary>
    /// Looks a text key up in the trigram index: the condition runs in PostgreSQL over the folded columns of
    /// <see cref="SearchText"/>, so a hit is exact. Rows with incomplete text that did not hit are returned as unsure.
    /// </summary>
    public async Task<TextMatches> SearchTextAsync(MailboxInfo mailbox, TextSearch search, CancellationToken cancellationToken)
    {
        var matched = new HashSet<uint>();
        var unsure = new HashSet<uint>();
        if (!search.CanMatch)
        {
            return new TextMatches(matched, unsure);
        }

        // One condition per column, each a query of its own: the planner serves each from the trigram index, where
        // an OR of three columns made it read every row of the mailbox (80 ms instead of 3 on 10,000 messages).
        string[] conditions = search.Kind switch
        {
            TextSearchKind.Body => ["body LIKE $2"],
            TextSearchKind.Text => ["header LIKE $2", "mime LIKE $2", "body LIKE $2"],
            // The regular expression only checks what LIKE found: as an index condition it would also walk the
            // posting lists of trigrams every message has ("SUBJECT: "), so coalesce keeps it out of the index.
            TextSearchKind.Address => ["(addresses LIKE $3 AND coalesce(addresses ~ $2, false))"],
            _ => ["(header LIKE $3 AND coalesce(header ~ $2, false))"],
        };
        var pattern = search.Kind is TextSearchKind.Body or TextSearchKind.Text ? search.LikePattern() : search.FieldPattern();
        var any = "(" + string.Join(" OR ", conditions) + ")";

        // Indexed rows through the trigram index, and those whose text is incomplete (unsure unless they matched);
        // rows the indexer has not reached yet as they are (a mailbox has few). The Subject key asks the Subject
        // table (migration 0082): its trigrams and rows are the Subject values alone.
        var indexed = search.UsesSubjectTable
            ? "SELECT uid, true FROM message_subjects WHERE mailbox_id = $1 AND "
                + (search.Kind == TextSearchKind.Subject ? "subject LIKE $4 AND coalesce(subject ~ $5, false)" : "subject LIKE $4")
            : string.Join("\nUNION\n", conditions.Select(c => $"SELECT uid, true FROM message_search WHERE mailbox_id = $1 AND {c}"));
        var sql = indexed
            + "\nUNION ALL\nSELECT uid, false FROM message_search WHERE mailbox_id = $1 AND NOT complete"
            + $"\nUNION ALL\nSELECT uid, coalesce({any}, false) FROM search_pending WHERE mailbox_id = $1 AND ({any} OR complete IS NOT TRUE)";
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = pattern });
        if (!(search.Kind is TextSearchKind.Body or TextSearchKind.Text))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = search.FieldPrefilter() });
        }

        if (search.UsesSubjectTable)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = search.Kind == TextSearchKind.Subject ? search.FieldPrefilter() : search.LikePattern() });
            if (search.Kind == TextSearchKind.Subject)
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = search.KeyPattern() });
            }
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            (reader.GetBoolean(1) ? matched : unsure).Add((uint)reader.GetInt64(0));
        }

        unsure.ExceptWith(matched);
        return new TextMatches(matched, unsure);
    }

    /// <summary>Decides text keys from the message files of <paramref name="uids"/> (those the index was unsure of): the UIDs that match, per key.</summary>
    public async Task<Dictionary<TextSearch, HashSet<uint>>> ConfirmTextAsync(
        MailboxInfo mailbox, IReadOnlyCollection<uint> uids, IReadOnlyList<TextSearch> searches, CancellationToken cancellationToken)
    {
        var result = new Dictionary<TextSearch, HashSet<uint>>(ReferenceEqualityComparer.Instance);
        foreach (var search in searches)
        {
            result[search] = [];
        }

        if (uids.Count == 0 || searches.Count == 0)
        {
            return result;
        }

        var rows = await FetchRecordsAsync(mailbox, uids, MessageViews.None, cancellationToken);
        foreach (var row in rows)
        {
            await using var file = OpenMessage(mailbox, row.Info);
            if (file is null)
            {
                continue;
            }

            var structure = await MimeParser.ParseAsync(file, cancellationToken: cancellationToken);
            foreach (var search in searches)
            {
                file.Position = 0;
                if (search.Matches(structure, file))
                {
                    result[search].Add(row.Info.Uid);
                }
            }
        }

        return result;
    }

    /// <summary>
    /// The sort keys of the given messages (all of the mailbox when <paramref name="uids"/> is null). Rows indexed
    /// before sort keys existed get them from their files, and keep them.
    /// </summary>
    public async Task<Dictionary<uint, SortRow>> LoadSortRowsAsync(MailboxInfo mailbox, IReadOnlyCollection<uint>? uids, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<uint, SortRow>();
        var missing = new List<MessageInfo>();
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            "SELECT m.uid, m.internal_date, m.crlf_size, v.sort_keys, m.base_name, m.file_name, m.size FROM messages m "
            + "LEFT JOIN message_views v ON v.mailbox_id = m.mailbox_id AND v.uid = m.uid WHERE m.mailbox_id = $1" + (uids is null ? "" : " AND m.uid = ANY($2)"), connection))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
            if (uids is not null)
            {
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = uids.Select(u => (long)u).ToArray() });
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var uid = (uint)reader.GetInt64(0);
                var date = new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc));
                var size = reader.GetInt64(2);
                if (SortKeys.Deserialize(reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3)) is { } keys)
                {
                    rows[uid] = new SortRow(uid, date, size, keys);
                }
                else
                {
                    missing.Add(new MessageInfo(mailbox.Id, uid, reader.GetString(4), reader.GetString(5), reader.GetInt64(6), size, date, 0, [], 0));
                }
            }
        }

        if (missing.Count == 0)
        {
            return rows;
        }

        var filled = new List<(long Uid, byte[] Keys)>();
        foreach (var message in missing)
        {
            await using var file = OpenMessage(mailbox, message);
            var keys = file is null ? SortKeys.Build(MimeParser.Parse(Array.Empty<byte>()).Root) : SortKeys.Build((await MimeParser.ParseAsync(file, cancellationToken: cancellationToken)).Root);
            rows[message.Uid] = new SortRow(message.Uid, message.InternalDate, message.CrlfSize, keys);
            if (file is not null)
            {
                filled.Add((message.Uid, keys.Serialize()));
            }
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO message_views (mailbox_id, uid, sort_keys)
            SELECT @id, k.uid, k.keys FROM unnest(@uids, @keys) AS k (uid, keys) WHERE EXISTS (SELECT 1 FROM messages m WHERE m.mailbox_id = @id AND m.uid = k.uid)
            ON CONFLICT (mailbox_id, uid) DO UPDATE SET sort_keys = excluded.sort_keys
            """,
            new { id = mailbox.Id, uids = filled.Select(f => f.Uid).ToArray(), keys = filled.Select(f => f.Keys).ToArray() }, cancellationToken: cancellationToken));
        return rows;
    }
}
