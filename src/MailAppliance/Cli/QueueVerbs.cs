using System.Globalization;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;

namespace MailAppliance.Cli;

/// <summary><c>queue list|show ID|retry ID|delete ID</c>: what waits in the spool, and what happened to it.</summary>
public static class QueueVerbs
{
    public static async Task List(AdminContext c)
    {
        if (c.Arguments.Count != 0)
        {
            throw new UsageException("usage: queue list");
        }

        var rows = await new QueueStore(c.Database).RecipientsAsync(null, c.CancellationToken);
        var pending = rows.Where(r => r.Status is RecipientStatus.Queued or RecipientStatus.Deferred).ToList();
        c.Output.Table(pending, ["QUEUE-ID", "RECEIVED", "SIZE", "FROM", "RECIPIENT", "STATUS", "NEXT", "RESULT"], r =>
        [
            r.QueueId, r.ReceivedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), r.Size.ToString(CultureInfo.InvariantCulture),
            r.MailFrom.Length == 0 ? "<>" : r.MailFrom, r.Recipient, r.Status.ToString().ToLowerInvariant(),
            r.NextAttemptAt.ToString("HH:mm:ss", CultureInfo.InvariantCulture), r.LastResult ?? "",
        ]);
    }

    public static async Task Show(AdminContext c)
    {
        var queueId = QueueId(c, "queue show ID");
        var rows = await new QueueStore(c.Database).RecipientsAsync(queueId, c.CancellationToken);
        var spool = new MessageSpool(c.Options.Storage.SpoolDirectory, TimeProvider.System, c.Options.Storage.SyncMode);
        var opened = spool.Open(queueId);
        if (rows.Count == 0 && opened is null)
        {
            throw new UsageException($"no message {queueId} in the queue");
        }

        if (opened is { } message)
        {
            await using (message.Message)
            {
                if (!c.Output.Json)
                {
                    c.Output.Line($"queue id:  {queueId}");
                    c.Output.Line($"received:  {message.Envelope.ReceivedAt:u} from {message.Envelope.ClientAddress} ({message.Envelope.Helo})");
                    c.Output.Line($"sender:    {(message.Envelope.MailFrom.Length == 0 ? "<>" : message.Envelope.MailFrom)}");
                    c.Output.Line($"size:      {message.Message.Length} octets");
                    c.Output.Line($"spool:     {spool.PathOf(queueId)}");
                }
            }
        }

        c.Output.Table(rows, ["RECIPIENT", "STATUS", "ATTEMPTS", "NEXT", "RESULT"], r =>
            [r.Recipient, r.Status.ToString().ToLowerInvariant(), r.Attempts.ToString(CultureInfo.InvariantCulture), r.NextAttemptAt.ToString("u", CultureInfo.InvariantCulture), r.LastResult ?? ""]);
    }

    public static async Task Retry(AdminContext c)
    {
        var queueId = QueueId(c, "queue retry ID");
        var count = await new QueueStore(c.Database).RetryNowAsync(queueId, c.CancellationToken);
        if (count == 0)
        {
            throw new UsageException($"no waiting recipient for {queueId}");
        }

        c.Output.Done($"{count} recipient(s) of {queueId} will be tried now", new { retried = queueId, recipients = count });
    }

    public static async Task Delete(AdminContext c)
    {
        var queueId = QueueId(c, "queue delete ID");
        var queue = new QueueStore(c.Database);
        var count = await queue.DiscardAsync(queueId, "deleted by the administrator", c.CancellationToken);
        var spool = new MessageSpool(c.Options.Storage.SpoolDirectory, TimeProvider.System, c.Options.Storage.SyncMode);
        if (count == 0 && spool.Open(queueId) is null)
        {
            throw new UsageException($"no message {queueId} in the queue");
        }

        var rows = await queue.RecipientsAsync(queueId, c.CancellationToken);
        if (rows.All(r => r.Status is RecipientStatus.Delivered or RecipientStatus.Failed or RecipientStatus.Discarded) && spool.Open(queueId) is { } opened)
        {
            await opened.Message.DisposeAsync();
            spool.Delete(queueId, recycle: false);
        }

        c.Output.Done($"deleted {queueId} ({count} recipient(s) discarded)", new { deleted = queueId, recipients = count });
    }

    private static string QueueId(AdminContext c, string usage) =>
        c.Arguments.Count == 1 && c.Arguments[0].Length is > 0 and <= 64 && c.Arguments[0].All(char.IsAsciiLetterOrDigit)
            ? c.Arguments[0].ToUpperInvariant()
            : throw new UsageException($"usage: {usage}");
}
