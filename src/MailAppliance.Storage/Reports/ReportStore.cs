using System.Globalization;
using System.Text.Json;
using MailAppliance.Storage.Database;
using Npgsql;
using NpgsqlTypes;

namespace MailAppliance.Storage.Reports;

/// <summary>
/// The report events in PostgreSQL: batched inserts (one statement for many events), day partitions made ahead and
/// dropped past the retention, and the queries behind <c>report</c>, <c>/api/reports</c> and the console.
/// </summary>
public sealed class ReportStore
{
    private const string Columns = "id, time, kind, stage, queue_id, message_id, sender, recipient, user_name, domain, client_ip, reply, reason, folder, target, srs_sender, score, threshold, verdict, symbols";
    private const string PartitionPrefix = "report_events_";
    private static readonly JsonSerializerOptions SymbolJson = new(JsonSerializerDefaults.Web);
    private readonly NpgsqlDataSource _db;

    // Days whose partition this process knows exists (the writer asks PostgreSQL once per new day).
    private readonly HashSet<DateOnly> _knownDays = [];
    private readonly Lock _knownGate = new();

    public ReportStore(StorageDatabase database) => _db = database.Source;

    /// <summary>Writes the events in one statement (and one commit that need not wait for the WAL flush: a report
    /// lost to a crash costs a line of history, never mail). Partitions for their days are made first if needed.</summary>
    public async Task InsertAsync(IReadOnlyList<ReportEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var days = events.Select(e => DateOnly.FromDateTime(e.Time.UtcDateTime)).Distinct().ToList();
        await EnsurePartitionsAsync(connection, days, cancellationToken);

        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO OFF"));
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO report_events (time, kind, stage, queue_id, message_id, sender, recipient, user_name, domain, client_ip,
                                       reply, reason, folder, target, srs_sender, score, threshold, verdict, symbols)
            SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                                 $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
                                 $16::float8[], $17::float8[], $18::text[], $19::jsonb[])
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Time.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        AddText(insert, events, e => Name(e.Kind));
        AddText(insert, events, e => e.Stage is { } s ? Name(s) : null);
        AddText(insert, events, e => e.QueueId);
        AddText(insert, events, e => e.MessageId);
        AddText(insert, events, e => e.Sender);
        AddText(insert, events, e => e.Recipient);
        AddText(insert, events, e => e.User);
        AddText(insert, events, e => e.Domain);
        AddText(insert, events, e => e.ClientIp);
        AddText(insert, events, e => e.Reply);
        AddText(insert, events, e => e.Reason);
        AddText(insert, events, e => e.Folder);
        AddText(insert, events, e => e.Target);
        AddText(insert, events, e => e.SrsSender);
        insert.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Score).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        insert.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Threshold).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        AddText(insert, events, e => e.Verdict is { } v ? Name(v) : null);
        insert.Parameters.Add(new NpgsqlParameter
        {
            Value = events.Select(e => e.Symbols is null ? null : JsonSerializer.Serialize(e.Symbols, SymbolJson)).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
        });
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Makes the partitions from yesterday to <paramref name="daysAhead"/> days ahead, and drops those wholly
    /// older than <paramref name="retentionDays"/>. Returns the names dropped.</summary>
    public async Task<IReadOnlyList<string>> MaintainAsync(DateTimeOffset now, int retentionDays, int daysAhead, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        await EnsurePartitionsAsync(connection, Enumerable.Range(-1, daysAhead + 2).Select(today.AddDays).ToList(), cancellationToken);

        // A partition holds one day; it goes once its whole day is older than the retention.
        var oldestKept = DateOnly.FromDateTime(now.UtcDateTime.AddDays(-retentionDays));
        var dropped = new List<string>();
        foreach (var (name, day) in await PartitionsAsync(connection, cancellationToken))
        {
            if (day < oldestKept)
            {
                await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {name}", connection);
                await drop.ExecuteNonQueryAsync(cancellationToken);
                lock (_knownGate)
                {
                    _knownDays.Remove(day);
                }

                dropped.Add(name);
            }
        }

        return dropped;
    }

    /// <summary>The day partitions that exist, oldest first.</summary>
    public async Task<IReadOnlyList<(string Name, DateOnly Day)>> PartitionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return await PartitionsAsync(connection, cancellationToken);
    }

    /// <summary>Events matching <paramref name="filter"/> in time order (oldest first, or newest first), at most
    /// <paramref name="limit"/>; oldest first, <paramref name="after"/> continues a listing past its last entry.</summary>
    public async Task<IReadOnlyList<ReportEntry>> QueryAsync(ReportFilter filter, int limit, bool newestFirst, CancellationToken cancellationToken, ReportEntry? after = null)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var command = Select(connection, filter, afterId: null, newestFirst ? "time DESC, id DESC" : "time, id", limit, newestFirst ? null : after);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>Events matching <paramref name="filter"/> with an id above <paramref name="afterId"/>, in id order (followers).</summary>
    public async Task<IReadOnlyList<ReportEntry>> AfterAsync(ReportFilter filter, long afterId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var command = Select(connection, filter, afterId, "id", limit);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>The highest id written so far (0 when there is none): a follower that starts now reads after it.</summary>
    public async Task<long> LastIdAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT coalesce(max(id), 0) FROM report_events", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static NpgsqlCommand Select(NpgsqlConnection connection, ReportFilter filter, long? afterId, string order, int limit, ReportEntry? afterEntry = null)
    {
        var conditions = new List<string>();
        var command = new NpgsqlCommand { Connection = connection };
        string Parameter(object value)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
            return "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
        }

        if (filter.Kinds.Count > 0)
        {
            conditions.Add($"kind = ANY({Parameter(filter.Kinds.Select(Name).ToArray())})");
        }

        if (filter.Domain is { } domain)
        {
            var p = Parameter(domain.ToLowerInvariant());
            conditions.Add($"(domain = {p} OR lower(split_part(sender, '@', 2)) = {p} OR lower(split_part(recipient, '@', 2)) = {p})");
        }

        foreach (var address in new[] { filter.Involving, filter.Viewer }.OfType<string>())
        {
            var p = Parameter(address.ToLowerInvariant());
            conditions.Add($"(lower(sender) = {p} OR lower(recipient) = {p} OR lower(user_name) = {p})");
        }

        if (filter.QueueId is { } queueId)
        {
            conditions.Add($"queue_id = {Parameter(queueId)}");
        }

        if (filter.Since is { } since)
        {
            conditions.Add($"time >= {Parameter(since.UtcDateTime)}");
        }

        if (filter.Until is { } until)
        {
            conditions.Add($"time < {Parameter(until.UtcDateTime)}");
        }

        if (afterId is { } after)
        {
            conditions.Add($"id > {Parameter(after)}");
        }

        if (afterEntry is not null)
        {
            conditions.Add($"(time, id) > ({Parameter(afterEntry.Event.Time.UtcDateTime)}, {Parameter(afterEntry.Id)})");
        }

        var where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        command.CommandText = $"SELECT {Columns} FROM report_events {where} ORDER BY {order} LIMIT {Parameter(limit)}";
        return command;
    }

    private static async Task<IReadOnlyList<ReportEntry>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var entries = new List<ReportEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            double? Number(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
            entries.Add(new ReportEntry(reader.GetInt64(0), new ReportEvent
            {
                Time = new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc)),
                Kind = Enum.Parse<ReportKind>(reader.GetString(2), ignoreCase: true),
                Stage = Text(3) is { } stage ? Enum.Parse<ReportStage>(stage, ignoreCase: true) : null,
                QueueId = Text(4),
                MessageId = Text(5),
                Sender = Text(6),
                Recipient = Text(7),
                User = Text(8),
                Domain = Text(9),
                ClientIp = Text(10),
                Reply = Text(11),
                Reason = Text(12),
                Folder = Text(13),
                Target = Text(14),
                SrsSender = Text(15),
                Score = Number(16),
                Threshold = Number(17),
                Verdict = Text(18) is { } verdict ? Enum.Parse<ReportVerdict>(verdict, ignoreCase: true) : null,
                Symbols = Text(19) is { } symbols ? JsonSerializer.Deserialize<List<ReportSymbol>>(symbols, SymbolJson) : null,
            }));
        }

        return entries;
    }

    private async Task EnsurePartitionsAsync(NpgsqlConnection connection, IReadOnlyList<DateOnly> days, CancellationToken cancellationToken)
    {
        List<DateOnly> missing;
        lock (_knownGate)
        {
            missing = days.Where(d => !_knownDays.Contains(d)).ToList();
        }

        foreach (var day in missing)
        {
            await using var ensure = new NpgsqlCommand("SELECT report_events_ensure_partition($1)", connection);
            ensure.Parameters.Add(new NpgsqlParameter { Value = day, NpgsqlDbType = NpgsqlDbType.Date });
            await ensure.ExecuteNonQueryAsync(cancellationToken);
            lock (_knownGate)
            {
                _knownDays.Add(day);
            }
        }
    }

    private static async Task<IReadOnlyList<(string Name, DateOnly Day)>> PartitionsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var list = new NpgsqlCommand("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'report_events'::regclass ORDER BY c.relname
            """, connection);
        var partitions = new List<(string, DateOnly)>();
        await using var reader = await list.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            if (name.StartsWith(PartitionPrefix, StringComparison.Ordinal)
                && DateOnly.TryParseExact(name[PartitionPrefix.Length..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                partitions.Add((name, day));
            }
        }

        return partitions;
    }

    private static void AddText(NpgsqlBatchCommand command, IReadOnlyList<ReportEvent> events, Func<ReportEvent, string?> field) =>
        command.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => Clean(field(e))).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });

    // PostgreSQL text cannot hold NUL, and a hostile client's reason or address must not make a row unwritable or
    // huge: NULs go, and every field is cut at 2,000 characters.
    private static string? Clean(string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Contains('\0', StringComparison.Ordinal))
        {
            value = value.Replace("\0", "", StringComparison.Ordinal);
        }

        return value.Length > 2000 ? value[..2000] : value;
    }

    public static string Name(ReportKind kind) => kind.ToString().ToLowerInvariant();

    public static string Name(ReportStage stage) => stage.ToString().ToLowerInvariant();

    public static string Name(ReportVerdict verdict) => verdict.ToString().ToLowerInvariant();
}
