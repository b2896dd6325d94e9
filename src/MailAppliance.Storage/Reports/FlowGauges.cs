using MailAppliance.Storage.Database;
using Npgsql;

namespace MailAppliance.Storage.Reports;

/// <summary>How the queue stands now: messages with a recipient still waiting, and the age of the oldest.</summary>
public sealed record QueueSnapshot(long Messages, TimeSpan Oldest);

/// <summary>
/// The gauges read at scrape time (<c>/metrics</c>) and the readiness probe (<c>/readyz</c>): cheap aggregate queries,
/// each bounded by a short statement timeout so that a database that hangs makes the probe fail, not stall.
/// </summary>
public sealed class FlowGauges
{
    private readonly NpgsqlDataSource _db;

    public FlowGauges(StorageDatabase database) => _db = database.Source;

    /// <summary>The queue as it stands (waiting rows: queued, deferred, held).</summary>
    public async Task<QueueSnapshot> QueueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT count(DISTINCT queue_id), min(received_at) FROM queue_recipients WHERE status IN ('queued', 'deferred', 'held')
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var messages = reader.GetInt64(0);
        var oldest = reader.IsDBNull(1) ? TimeSpan.Zero : now - new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc));
        return new QueueSnapshot(messages, oldest < TimeSpan.Zero ? TimeSpan.Zero : oldest);
    }

    /// <summary>True when the database answers a query within <paramref name="timeout"/>.</summary>
    public async Task<bool> DatabaseReachableAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await using var connection = await _db.OpenConnectionAsync(limit.Token);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            return await command.ExecuteScalarAsync(limit.Token) is 1;
        }
        catch (Exception e) when (e is OperationCanceledException && !cancellationToken.IsCancellationRequested || StorageFailures.IsTemporary(e) || e is NpgsqlException)
        {
            return false;
        }
    }
}
