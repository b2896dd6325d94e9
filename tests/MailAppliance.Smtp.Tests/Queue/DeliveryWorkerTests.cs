using System.Security.Cryptography;
using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Smtp.Queue;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Smtp.Tests.Queue;

public sealed class DeliveryWorkerTests : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly DatabaseFixture _db;
    private readonly string _root = TestDirectories.Create("queue");
    private readonly string _domain = $"q{Guid.NewGuid():N}"[..10] + ".test";
    private readonly AccountDirectory _directory;
    private readonly MessageSpool _spool;
    private readonly QueueStore _queue;
    private readonly MailStore _store;

    public DeliveryWorkerTests(DatabaseFixture db)
    {
        _db = db;
        _directory = new AccountDirectory(db.Database);
        _spool = new MessageSpool(Path.Combine(_root, "spool"), TimeProvider.System);
        _queue = new QueueStore(db.Database);
        _store = new MailStore(db.Database, new MailstoreOptions(_root), TimeProvider.System, NullLogger<MailStore>.Instance);
        _directory.AddDomainAsync(DomainName.Parse(_domain)).GetAwaiter().GetResult();
    }

    public void Dispose() => TestDirectories.Delete(_root);

    private DeliveryWorker Worker() => new(_spool, _queue, _directory, _store, TimeProvider.System, NullLogger<DeliveryWorker>.Instance);

    private string A(string local) => $"{local}@{_domain}";

    private async Task<MailUser> UserAsync(string local, long? quota = null) =>
        new(await _directory.AddUserAsync(MailAddress.Parse(A(local)), null, quota), MailAddress.Parse(A(local)));

    private async Task<string> SpoolAsync(byte[] message, params string[] recipients)
    {
        var envelope = new SpoolEnvelope { QueueId = _spool.NewQueueId(), ReceivedAt = DateTimeOffset.UtcNow, MailFrom = "sender@example.net", Recipients = recipients };
        await using var writer = await _spool.BeginAsync(envelope, CancellationToken.None);
        await writer.Body.WriteAsync(message);
        await writer.CommitAsync(CancellationToken.None);
        return envelope.QueueId;
    }

    private async Task<byte[]> OnlyMessageOfAsync(MailUser user)
    {
        var inbox = (await _store.FindMailboxAsync(user, Storage.Maildir.MailboxName.Inbox, CancellationToken.None))!;
        var row = Assert.Single(await _store.ListMessagesAsync(inbox, CancellationToken.None));
        await using var stream = _store.OpenMessage(inbox, row)!;
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task A_message_spooled_while_no_worker_ran_is_delivered_byte_for_byte_after_restart()
    {
        var alice = await UserAsync("alice");
        var message = Encoding.ASCII.GetBytes("Subject: queued\r\n\r\n" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(3000)) + "\r\n");
        var queueId = await SpoolAsync(message, A("alice"));

        var worker = Worker();
        await worker.RecoverAsync(CancellationToken.None); // the spool file had no rows: a crash right after the 250
        await worker.RunOnceAsync(CancellationToken.None);

        Assert.Equal(SHA256.HashData(message), SHA256.HashData(await OnlyMessageOfAsync(alice)));
        Assert.Equal(RecipientStatus.Delivered, Assert.Single(await _queue.RecipientsAsync(queueId, CancellationToken.None)).Status);
        Assert.Empty(_spool.List()); // every recipient settled: the spool file is gone
    }

    [Fact]
    public async Task While_messages_trickle_in_delivery_keeps_to_a_few_at_a_time_unless_the_oldest_has_waited_long()
    {
        var worker = Worker();
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(DeliveryWorker.Parallelism, worker.CurrentParallelism(now)); // no intake yet

        worker.Wake(); // what a session does after each 250
        Assert.Equal(DeliveryWorker.ParallelismDuringIntake, worker.CurrentParallelism(now));
        Assert.Equal(DeliveryWorker.Parallelism, worker.CurrentParallelism(now - DeliveryWorker.MaxIntakeDeferral)); // never starved

        await Task.Delay(600); // intake quiet again (two windows of 250 ms)
        Assert.Equal(DeliveryWorker.Parallelism, worker.CurrentParallelism(now));

        // Under intake every due message is still delivered, only fewer at once.
        var erin = await UserAsync("erin");
        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            ids.Add(await SpoolAsync(Encoding.ASCII.GetBytes($"Subject: m{i}\r\n\r\nbody {i}\r\n"), A("erin")));
        }

        await worker.RecoverAsync(CancellationToken.None);
        worker.Wake();
        await worker.RunOnceAsync(CancellationToken.None);
        var inbox = (await _store.FindMailboxAsync(erin, Storage.Maildir.MailboxName.Inbox, CancellationToken.None))!;
        Assert.Equal(12, (await _store.ListMessagesAsync(inbox, CancellationToken.None)).Count);
        Assert.Empty(_spool.List());
    }

    [Fact]
    public async Task A_burst_is_taken_in_first_and_delivered_right_after_it()
    {
        // Windows of 2 s, so that a stalled test thread cannot look like the end of the burst.
        var worker = new DeliveryWorker(_spool, _queue, _directory, _store, TimeProvider.System, NullLogger<DeliveryWorker>.Instance)
        {
            IntakeWindow = TimeSpan.FromSeconds(2),
        };
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < DeliveryWorker.HeavyIntake - 1; i++)
        {
            worker.Wake();
        }

        Assert.Equal(DeliveryWorker.ParallelismDuringIntake, worker.CurrentParallelism(now)); // a trickle yet
        worker.Wake();
        Assert.Equal(0, worker.CurrentParallelism(now)); // a burst: delivery waits
        Assert.Equal(DeliveryWorker.Parallelism, worker.CurrentParallelism(now - DeliveryWorker.MaxIntakeDeferral)); // but not for ever

        var frank = await UserAsync("frank");
        for (var i = 0; i < 5; i++)
        {
            await SpoolAsync(Encoding.ASCII.GetBytes($"Subject: b{i}\r\n\r\nburst {i}\r\n"), A("frank"));
        }

        await worker.RecoverAsync(CancellationToken.None);
        var round = worker.RunOnceAsync(CancellationToken.None);
        await Task.Delay(500);
        Assert.False(round.IsCompleted);
        var early = await _store.FindMailboxAsync(frank, Storage.Maildir.MailboxName.Inbox, CancellationToken.None);
        Assert.True(early is null || (await _store.ListMessagesAsync(early, CancellationToken.None)).Count == 0); // nothing delivered during the burst

        Assert.Equal(5, await round.WaitAsync(TimeSpan.FromSeconds(30))); // the burst is over: all of it delivered
        var inbox = (await _store.FindMailboxAsync(frank, Storage.Maildir.MailboxName.Inbox, CancellationToken.None))!;
        Assert.Equal(5, (await _store.ListMessagesAsync(inbox, CancellationToken.None)).Count);
        Assert.Empty(_spool.List());
    }

    [Fact]
    public async Task An_alias_delivers_to_each_user_once_and_a_rerun_delivers_nothing_twice()
    {
        var bob = await UserAsync("bob");
        var carol = await UserAsync("carol");
        await _directory.AddAliasAsync(MailAddress.Parse(A("team")), [MailAddress.Parse(A("bob")), MailAddress.Parse(A("carol"))]);
        var queueId = await SpoolAsync("Subject: team\r\n\r\nhi\r\n"u8.ToArray(), A("team"), A("bob"));

        var worker = Worker();
        await worker.RecoverAsync(CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);
        await _queue.RetryNowAsync(queueId, CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);

        var bobInbox = (await _store.FindMailboxAsync(bob, Storage.Maildir.MailboxName.Inbox, CancellationToken.None))!;
        Assert.Equal(2, (await _store.ListMessagesAsync(bobInbox, CancellationToken.None)).Count); // once as team, once as bob
        Assert.NotNull(await OnlyMessageOfAsync(carol));
    }

    [Fact]
    public async Task External_and_over_quota_recipients_stay_queued_and_keep_the_spool_file()
    {
        var dora = await UserAsync("dora", quota: 1024);
        var big = Encoding.ASCII.GetBytes("Subject: big\r\n\r\n" + new string('x', 5000) + "\r\n");
        var queueId = await SpoolAsync(big, A("dora"), "friend@elsewhere.example");

        var worker = Worker();
        await worker.RecoverAsync(CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);

        var rows = await _queue.RecipientsAsync(queueId, CancellationToken.None);
        Assert.All(rows, r => Assert.Equal(RecipientStatus.Deferred, r.Status));
        Assert.Contains("storage quota exceeded", rows.Single(r => r.Recipient == A("dora")).LastResult, StringComparison.Ordinal);
        Assert.Contains("outbound delivery not available", rows.Single(r => r.Recipient == "friend@elsewhere.example").LastResult, StringComparison.Ordinal);
        Assert.All(rows, r => Assert.True(r.NextAttemptAt > DateTimeOffset.UtcNow));
        Assert.Equal([queueId], _spool.List());

        // The admin raises the quota and retries: now it is delivered, the external one still waits.
        await using (var raise = _db.DataSource.CreateCommand("UPDATE users SET quota_bytes = NULL WHERE address_id = $1"))
        {
            raise.Parameters.AddWithValue(dora.Id);
            await raise.ExecuteNonQueryAsync();
        }

        await _queue.RetryNowAsync(queueId, CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);
        Assert.Equal(RecipientStatus.Delivered, (await _queue.RecipientsAsync(queueId, CancellationToken.None)).Single(r => r.Recipient == A("dora")).Status);
        Assert.Equal([queueId], _spool.List());
    }

    [Fact]
    public async Task A_discarded_message_leaves_the_spool()
    {
        var queueId = await SpoolAsync("Subject: x\r\n\r\nx\r\n"u8.ToArray(), "someone@elsewhere.example");
        var worker = Worker();
        await worker.RecoverAsync(CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);
        Assert.Equal([queueId], _spool.List());
        Assert.Equal(1, await _queue.DiscardAsync(queueId, "deleted by admin", CancellationToken.None));
        Assert.True(await worker.RemoveIfSettledAsync(queueId, CancellationToken.None));
        Assert.Equal(RecipientStatus.Discarded, Assert.Single(await _queue.RecipientsAsync(queueId, CancellationToken.None)).Status);
        Assert.Empty(_spool.List());
    }
}
