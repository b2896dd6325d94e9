using System.Globalization;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Nodes;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Cli;

/// <summary>
/// <c>queue list [--remote]|show ID|retry ID|hold ID|release ID|delete ID</c>: what waits, what happened to it, and the
/// administrator's hand on it. Every verb goes through <see cref="MessageQueue"/>, the same component the delivery
/// scheduler uses, so there is one set of rules (what is settled, what may change) for both.
/// </summary>
public static class QueueVerbs
{
    public static async Task List(AdminContext c)
    {
        if (c.Arguments.Count != 0)
        {
            throw new UsageException("usage: queue list [--remote]");
        }

        await using var queue = Open(c, out var node);
        using (node)
        {
            var now = DateTimeOffset.UtcNow;
            var rows = await queue.WaitingAsync(c.CancellationToken);
            if (c.Command.Has("--remote"))
            {
                var local = (await c.Directory.ListDomainsAsync(c.CancellationToken)).Select(d => d.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
                rows = rows.Where(r => !MailAddress.TryParse(r.Recipient, out var a, out _) || !local.Contains(a.Domain.Ascii) || r.Route is "relay" or "forward").ToList();
            }

            var list = rows.Select(r => new ListRow(r.QueueId, r.Recipient, r.MailFrom, Status(r, now), r.Attempts, Rfc3339(r.NextAttemptAt), r.LastResult)).ToList();
            c.Output.Table(list, ["QUEUE-ID", "RECIPIENT", "SENDER", "STATUS", "ATTEMPTS", "NEXT", "RESULT"], r =>
            [
                r.QueueId, r.Recipient, r.Sender.Length == 0 ? "<>" : r.Sender, r.Status, r.Attempts.ToString(CultureInfo.InvariantCulture), r.NextAttempt, r.LastResult ?? "",
            ]);
        }
    }

    public static async Task Show(AdminContext c)
    {
        var queueId = QueueId(c, "queue show ID");
        await using var queue = Open(c, out var node);
        using (node)
        {
            var message = await queue.ShowAsync(queueId, c.CancellationToken) ?? throw new UsageException($"no message {queueId} in the queue");
            var now = DateTimeOffset.UtcNow;
            var recipients = message.Recipients.Select(r => new ShowRecipient(r.Recipient, Status(r, now), r.Attempts, Rfc3339(r.NextAttemptAt), r.LastResult, r.Notify, r.OriginalRecipient, r.Parent)).ToList();
            var attempts = message.Attempts.Select(a => new ShowAttempt(Rfc3339(a.At), a.Recipient, RecipientStatuses.Text(a.Status), a.Reply, a.Node)).ToList();
            var envelope = message.Envelope;
            if (c.Output.Json)
            {
                c.Output.Done("", new
                {
                    queueId = message.QueueId,
                    sender = envelope?.MailFrom ?? (message.Recipients.Count > 0 ? message.Recipients[0].MailFrom : null),
                    received = envelope is null ? null : Rfc3339(envelope.ReceivedAt),
                    client = envelope?.ClientAddress,
                    helo = envelope?.Helo,
                    size = message.Size,
                    ret = envelope?.Ret,
                    envid = envelope?.EnvelopeId,
                    spool = envelope is null ? null : message.SpoolPath,
                    recipients,
                    attempts,
                });
                return;
            }

            c.Output.Line($"queue id:  {message.QueueId}");
            if (envelope is not null)
            {
                c.Output.Line($"received:  {Rfc3339(envelope.ReceivedAt)} from {envelope.ClientAddress} ({envelope.Helo})");
                c.Output.Line($"sender:    {(envelope.MailFrom.Length == 0 ? "<>" : envelope.MailFrom)}");
                c.Output.Line($"size:      {message.Size} octets");
                c.Output.Line($"spool:     {message.SpoolPath}");
            }
            else
            {
                c.Output.Line("spool:     (removed: every recipient is settled)");
            }

            c.Output.Line("");
            c.Output.Table(recipients, ["RECIPIENT", "STATUS", "ATTEMPTS", "NEXT", "RESULT"], r =>
                [r.Recipient, r.Status, r.Attempts.ToString(CultureInfo.InvariantCulture), r.NextAttempt, r.LastResult ?? ""]);
            if (attempts.Count > 0)
            {
                c.Output.Line("");
                c.Output.Table(attempts, ["TIME", "RECIPIENT", "STATUS", "REPLY"], a => [a.Time, a.Recipient, a.Status, a.Reply]);
            }
        }
    }

    public static Task Retry(AdminContext c) => Change(c, "queue retry ID", (q, id, t) => q.RetryAsync(id, t), "no waiting recipient", "will be tried now", "retried");

    public static Task Hold(AdminContext c) => Change(c, "queue hold ID", (q, id, t) => q.HoldAsync(id, t), "no waiting recipient", "held", "held");

    public static Task Release(AdminContext c) => Change(c, "queue release ID", (q, id, t) => q.ReleaseAsync(id, t), "no held recipient", "released: tried now", "released");

    public static async Task Delete(AdminContext c)
    {
        var queueId = QueueId(c, "queue delete ID");
        await using var queue = Open(c, out var node);
        using (node)
        {
            var (found, discarded) = await queue.DeleteAsync(queueId, c.CancellationToken);
            if (!found)
            {
                throw new UsageException($"no message {queueId} in the queue");
            }

            c.Output.Done($"deleted {queueId} ({discarded} recipient(s) discarded)", new { deleted = queueId, recipients = discarded });
        }
    }

    private static async Task Change(AdminContext c, string usage, Func<MessageQueue, string, CancellationToken, Task<int>> change, string none, string done, string key)
    {
        var queueId = QueueId(c, usage);
        await using var queue = Open(c, out var node);
        using (node)
        {
            var count = await change(queue, queueId, c.CancellationToken);
            if (count == 0)
            {
                throw new UsageException($"{none} for {queueId}");
            }

            c.Output.Done($"{count} recipient(s) of {queueId} {done}", new Dictionary<string, object> { [key] = queueId, ["recipients"] = count });
        }
    }

    /// <summary>The queue as this admin process sees it (a node of its own: it claims nothing, but names what it writes).</summary>
    private static MessageQueue Open(AdminContext c, out NodeIdentity node)
    {
        node = NodeIdentity.Register(c.Options.Storage.DataDirectory);
        var spool = new MessageSpool(c.Options.Storage.SpoolDirectory, TimeProvider.System, c.Options.Storage.SyncMode, node: node);
        return new MessageQueue(c.Database, spool, node, TimeProvider.System, NullLogger<MessageQueue>.Instance);
    }

    /// <summary>INTERFACE.md's statuses: queued, deferred, held, and active while a node works on the recipient.</summary>
    private static string Status(QueueRecipient row, DateTimeOffset now) => row.IsActive(now) && row.Status is RecipientStatus.Queued or RecipientStatus.Deferred
        ? "active"
        : RecipientStatuses.Text(row.Status);

    private static string Rfc3339(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Queue ids are 8 to 32 ASCII letters and digits (INTERFACE.md).</summary>
    private static string QueueId(AdminContext c, string usage) =>
        c.Arguments.Count == 1 && c.Arguments[0].Length is >= 8 and <= 32 && c.Arguments[0].All(char.IsAsciiLetterOrDigit)
            ? c.Arguments[0].ToUpperInvariant()
            : throw new UsageException($"usage: {usage}");

    private sealed record ListRow(string QueueId, string Recipient, string Sender, string Status, int Attempts, string NextAttempt, string? LastResult);

    private sealed record ShowRecipient(string Recipient, string Status, int Attempts, string NextAttempt, string? LastResult, string? Notify, string? Orcpt, string? Parent);

    private sealed record ShowAttempt(string Time, string Recipient, string Status, string Reply, string Node);
}
