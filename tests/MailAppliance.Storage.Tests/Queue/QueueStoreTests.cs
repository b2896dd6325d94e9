using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using MailAppliance.Testing;

namespace MailAppliance.Storage.Tests.Queue;

/// <summary>
/// The queue rows: batched inserts (each caller's rows written once), claims with leases that any node may take over
/// when they run out, and status changes that name the status and the claim they expect, so no node overwrites
/// another's outcome and no worker overwrites an administrator's hold or delete.
/// </summary>
public sealed class QueueStoreTests : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);
    private readonly QueueStore _queue;
    private readonly DatabaseFixture _db;

    public QueueStoreTests(DatabaseFixture db)
    {
        _db = db;
        _queue = new QueueStore(db.Database);
    }

    private static SpoolEnvelope Envelope(string queueId, params string[] recipients) => new()
    {
        QueueId = queueId,
        ReceivedAt = DateTimeOffset.UtcNow,
        MailFrom = "sender@example.net",
        Recipients = [.. recipients.Select(r => new SpoolRecipient(r))],
        ClientAddress = "192.0.2.1",
    };

    private static DateTimeOffset Later => DateTimeOffset.UtcNow.AddSeconds(5);

    /// <summary>Claims everything due for <paramref name="node"/>; returns the rows of <paramref name="queueId"/> (all when null).</summary>
    private async Task<List<QueueRecipient>> ClaimOfAsync(string node, string? queueId, IReadOnlyCollection<string>? dead = null) =>
        (await _queue.ClaimAsync(node, Later, 1000, Lease, dead ?? [], CancellationToken.None)).Where(r => queueId is null || r.QueueId == queueId).ToList();

    [Fact]
    public async Task Concurrent_messages_each_get_their_recipient_rows_with_their_DSN_parameters()
    {
        var envelopes = Enumerable.Range(0, 40)
            .Select(i => Envelope($"BATCH{i:D4}", $"a{i}@example.test", $"b{i}@example.test", $"A{i}@example.test") with { Ret = "HDRS", EnvelopeId = $"E{i}" })
            .ToList();
        envelopes[0] = envelopes[0] with { Recipients = [new SpoolRecipient("a0@example.test", "SUCCESS,FAILURE", "rfc822;a0@example.test"), new SpoolRecipient("b0@example.test")] };

        await Task.WhenAll(envelopes.Select(e => Task.Run(() => _queue.EnqueueAsync(e, 1003, CancellationToken.None))));

        var rows = (await _queue.RecipientsAsync(null, CancellationToken.None)).Where(r => r.QueueId.StartsWith("BATCH", StringComparison.Ordinal)).ToList();
        Assert.Equal(80, rows.Count); // the duplicate recipient (other case) is one row
        foreach (var envelope in envelopes)
        {
            var mine = rows.Where(r => r.QueueId == envelope.QueueId).ToList();
            Assert.Equal([envelope.Recipients[0].Address, envelope.Recipients[1].Address], mine.Select(r => r.Recipient).Order(StringComparer.Ordinal));
            Assert.All(mine, r => Assert.Equal(RecipientStatus.Queued, r.Status));
            Assert.All(mine, r => Assert.Equal(1003, r.Size));
            Assert.All(mine, r => Assert.Equal("HDRS", r.Ret));
        }

        var first = rows.Single(r => r.QueueId == "BATCH0000" && r.Recipient == "a0@example.test");
        Assert.Equal("SUCCESS,FAILURE", first.Notify);
        Assert.Equal("rfc822;a0@example.test", first.OriginalRecipient);
        Assert.Equal("E0", first.EnvelopeId);
    }

    [Fact]
    public async Task The_unsynced_commits_of_rows_and_outcomes_leave_the_pooled_connections_synchronous()
    {
        // Inserts and outcomes commit without waiting for the WAL flush, each one statement with a transaction-local
        // setting; the shared pool does not reset its connections, so a setting that outlived its statement would
        // make every later write on that connection unsynced too.
        await _queue.EnqueueAsync(Envelope("SYNC0001", "x@example.test"), 10, CancellationToken.None);
        var claimed = Assert.Single(await ClaimOfAsync("node-a", "SYNC0001"));
        Assert.True(await _queue.SettleAsync("node-a", new RecipientOutcome("SYNC0001", "x@example.test", claimed.Status, RecipientStatus.Delivered, "uid 1", null), CancellationToken.None));

        var connections = new List<Npgsql.NpgsqlConnection>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                connections.Add(await _db.Database.Source.OpenConnectionAsync());
            }

            foreach (var connection in connections)
            {
                await using var show = new Npgsql.NpgsqlCommand("SHOW synchronous_commit", connection);
                Assert.Equal("on", await show.ExecuteScalarAsync());
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Enqueueing_again_leaves_existing_rows_as_they_are()
    {
        await _queue.EnqueueAsync(Envelope("AGAIN0001", "x@example.test"), 10, CancellationToken.None);
        var claimed = Assert.Single(await ClaimOfAsync("node-a", "AGAIN0001"));
        Assert.True(await _queue.SettleAsync("node-a", new RecipientOutcome("AGAIN0001", "x@example.test", claimed.Status, RecipientStatus.Delivered, "uid 1", null), CancellationToken.None));

        await _queue.EnqueueAsync(Envelope("AGAIN0001", "x@example.test"), 10, CancellationToken.None);

        var row = Assert.Single(await _queue.RecipientsAsync("AGAIN0001", CancellationToken.None));
        Assert.Equal(RecipientStatus.Delivered, row.Status);
        Assert.Equal(["AGAIN0001"], await _queue.SettledMessagesAsync(["AGAIN0001"], CancellationToken.None));
        var attempt = Assert.Single(await _queue.AttemptsAsync("AGAIN0001", CancellationToken.None));
        Assert.Equal(("x@example.test", "node-a", RecipientStatus.Delivered, "uid 1"), (attempt.Recipient, attempt.Node, attempt.Status, attempt.Reply));
    }

    [Fact]
    public async Task A_claimed_recipient_is_not_claimed_again_while_its_lease_lasts()
    {
        await _queue.EnqueueAsync(Envelope("CLAIM0001", "x@example.test", "y@example.test"), 10, CancellationToken.None);
        var a = await ClaimOfAsync("node-a", "CLAIM0001");
        Assert.Equal(2, a.Count);
        Assert.All(a, r => Assert.Equal("node-a", r.ClaimedBy));
        Assert.Empty(await ClaimOfAsync("node-b", "CLAIM0001"));
    }

    [Fact]
    public async Task Two_nodes_claiming_at_once_never_get_the_same_recipient()
    {
        var ids = Enumerable.Range(0, 200).Select(i => $"RACE{i:D4}").ToList();
        foreach (var id in ids)
        {
            await _queue.EnqueueAsync(Envelope(id, "r@example.test"), 10, CancellationToken.None);
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(n => Task.Run(async () =>
        {
            var mine = new List<string>();
            for (var round = 0; round < 20; round++)
            {
                mine.AddRange((await _queue.ClaimAsync($"racer-{n}", Later, 10, Lease, [], CancellationToken.None)).Where(r => r.QueueId.StartsWith("RACE", StringComparison.Ordinal)).Select(r => r.QueueId));
            }

            return mine;
        })));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), all.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_claim_whose_lease_ran_out_or_whose_node_is_dead_is_taken_over()
    {
        await _queue.EnqueueAsync(Envelope("LEASE0001", "x@example.test"), 10, CancellationToken.None);
        await _queue.EnqueueAsync(Envelope("LEASE0002", "x@example.test"), 10, CancellationToken.None);
        var claimed = await ClaimOfAsync("node-a", null);
        Assert.Single(claimed, r => r.QueueId == "LEASE0001");
        Assert.Single(claimed, r => r.QueueId == "LEASE0002");
        await using (var expire = _db.DataSource.CreateCommand("UPDATE queue_recipients SET claim_expires_at = now() - interval '1 second' WHERE queue_id = 'LEASE0001'"))
        {
            await expire.ExecuteNonQueryAsync();
        }

        Assert.Single(await ClaimOfAsync("node-b", "LEASE0001")); // the lease ran out
        Assert.Empty(await ClaimOfAsync("node-b", "LEASE0002")); // still leased by a live node
        Assert.Single(await ClaimOfAsync("node-b", "LEASE0002", dead: ["node-a"])); // its node is known dead

        // node-a comes back late with its outcome: the rows are no longer its own, nothing is overwritten.
        Assert.False(await _queue.SettleAsync("node-a", new RecipientOutcome("LEASE0001", "x@example.test", RecipientStatus.Queued, RecipientStatus.Delivered, "late", null), CancellationToken.None));
        Assert.True(await _queue.SettleAsync("node-b", new RecipientOutcome("LEASE0001", "x@example.test", RecipientStatus.Queued, RecipientStatus.Delivered, "uid 7", null), CancellationToken.None));
        Assert.Equal("uid 7", Assert.Single(await _queue.RecipientsAsync("LEASE0001", CancellationToken.None)).LastResult);
    }

    [Fact]
    public async Task A_worker_never_overwrites_an_administrators_delete_or_hold()
    {
        await _queue.EnqueueAsync(Envelope("ADMIN0001", "x@example.test"), 10, CancellationToken.None);
        await _queue.EnqueueAsync(Envelope("ADMIN0002", "x@example.test"), 10, CancellationToken.None);
        var claimed = await ClaimOfAsync("node-a", null);
        Assert.Single(claimed, r => r.QueueId == "ADMIN0001");
        Assert.Single(claimed, r => r.QueueId == "ADMIN0002");

        Assert.Equal(1, await _queue.ChangeAllAsync("ADMIN0001", [RecipientStatus.Queued, RecipientStatus.Deferred], RecipientStatus.Discarded, "deleted", null, CancellationToken.None));
        Assert.Equal(1, await _queue.ChangeAllAsync("ADMIN0002", [RecipientStatus.Queued, RecipientStatus.Deferred], RecipientStatus.Held, null, null, CancellationToken.None));

        Assert.False(await _queue.SettleAsync("node-a", new RecipientOutcome("ADMIN0001", "x@example.test", RecipientStatus.Queued, RecipientStatus.Deferred, "4xx", Later), CancellationToken.None));
        Assert.False(await _queue.SettleAsync("node-a", new RecipientOutcome("ADMIN0002", "x@example.test", RecipientStatus.Queued, RecipientStatus.Delivered, "uid 1", null), CancellationToken.None));
        Assert.Equal(RecipientStatus.Discarded, Assert.Single(await _queue.RecipientsAsync("ADMIN0001", CancellationToken.None)).Status);
        Assert.Equal(RecipientStatus.Held, Assert.Single(await _queue.RecipientsAsync("ADMIN0002", CancellationToken.None)).Status);
        Assert.Empty(await ClaimOfAsync("node-b", "ADMIN0002")); // held: nobody tries it
    }

    [Fact]
    public async Task A_deferred_recipient_is_claimed_again_only_when_due_and_renewal_extends_a_lease()
    {
        await _queue.EnqueueAsync(Envelope("DUE00001", "x@example.test"), 10, CancellationToken.None);
        Assert.Single(await ClaimOfAsync("node-a", "DUE00001"));
        var next = DateTimeOffset.UtcNow.AddMinutes(5);
        Assert.True(await _queue.SettleAsync("node-a", new RecipientOutcome("DUE00001", "x@example.test", RecipientStatus.Queued, RecipientStatus.Deferred, "451 4.3.0 later", next), CancellationToken.None));
        Assert.Empty(await ClaimOfAsync("node-a", "DUE00001"));
        var claimed = Assert.Single(await _queue.ClaimAsync("node-a", next.AddSeconds(1), 1000, Lease, [], CancellationToken.None), r => r.QueueId == "DUE00001");
        Assert.Equal(RecipientStatus.Deferred, claimed.Status);
        Assert.Equal(1, claimed.Attempts);
        Assert.Equal("451 4.3.0 later", claimed.LastResult);

        await using (var shorten = _db.DataSource.CreateCommand("UPDATE queue_recipients SET claim_expires_at = now() + interval '1 second' WHERE queue_id = 'DUE00001'"))
        {
            await shorten.ExecuteNonQueryAsync();
        }

        await _queue.RenewClaimsAsync("node-a", Lease, CancellationToken.None);
        var row = Assert.Single(await _queue.RecipientsAsync("DUE00001", CancellationToken.None));
        Assert.True(row.ClaimExpiresAt > DateTimeOffset.UtcNow.AddSeconds(30));
        Assert.Contains("node-a", await _queue.ClaimantsAsync("node-z", CancellationToken.None));
    }
}
