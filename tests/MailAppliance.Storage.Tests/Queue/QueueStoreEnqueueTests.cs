using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using MailAppliance.Testing;

namespace MailAppliance.Storage.Tests.Queue;

/// <summary>EnqueueAsync batches concurrent callers into one statement: every caller's rows are written, once.</summary>
public sealed class QueueStoreEnqueueTests : IClassFixture<DatabaseFixture>
{
    private readonly QueueStore _queue;

    public QueueStoreEnqueueTests(DatabaseFixture db) => _queue = new QueueStore(db.Database);

    private static SpoolEnvelope Envelope(string queueId, params string[] recipients) => new()
    {
        QueueId = queueId,
        ReceivedAt = DateTimeOffset.UtcNow,
        MailFrom = "sender@example.net",
        Recipients = recipients,
        ClientAddress = "192.0.2.1",
    };

    [Fact]
    public async Task Concurrent_messages_each_get_their_recipient_rows()
    {
        var envelopes = Enumerable.Range(0, 40)
            .Select(i => Envelope($"BATCH{i:D4}", $"a{i}@example.test", $"b{i}@example.test", $"a{i}@example.test"))
            .ToList();

        await Task.WhenAll(envelopes.Select(e => Task.Run(() => _queue.EnqueueAsync(e, 1000 + e.Recipients.Count, CancellationToken.None))));

        var rows = (await _queue.RecipientsAsync(null, CancellationToken.None)).Where(r => r.QueueId.StartsWith("BATCH", StringComparison.Ordinal)).ToList();
        Assert.Equal(80, rows.Count); // the duplicate recipient is one row
        foreach (var envelope in envelopes)
        {
            var mine = rows.Where(r => r.QueueId == envelope.QueueId).ToList();
            Assert.Equal([envelope.Recipients[0], envelope.Recipients[1]], mine.Select(r => r.Recipient).Order(StringComparer.Ordinal));
            Assert.All(mine, r => Assert.Equal(RecipientStatus.Queued, r.Status));
            Assert.All(mine, r => Assert.Equal(1003, r.Size));
        }
    }

    [Fact]
    public async Task Enqueueing_again_leaves_existing_rows_as_they_are()
    {
        var envelope = Envelope("AGAIN0001", "x@example.test");
        await _queue.EnqueueAsync(envelope, 10, CancellationToken.None);
        await _queue.SetStatusAsync("AGAIN0001", "x@example.test", RecipientStatus.Delivered, "250 ok", null, CancellationToken.None);

        await _queue.EnqueueAsync(envelope, 10, CancellationToken.None);

        var row = Assert.Single(await _queue.RecipientsAsync("AGAIN0001", CancellationToken.None));
        Assert.Equal(RecipientStatus.Delivered, row.Status);
    }
}
