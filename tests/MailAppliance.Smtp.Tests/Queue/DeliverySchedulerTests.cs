using System.Security.Cryptography;
using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Routing;
using MailAppliance.Smtp.Queue;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Nodes;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailAppliance.Smtp.Tests.Queue;

/// <summary>
/// The delivery scheduler over the real queue, store and directory: claims, routes, local transport with
/// Return-Path and Delivered-To, settling, and the intake-first pace (on a fake clock: no test sleeps).
/// </summary>
public sealed class DeliverySchedulerTests : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly DatabaseFixture _db;
    private readonly string _root = TestDirectories.Create("queue");
    private readonly string _domain = $"q{Guid.NewGuid():N}"[..10] + ".test";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly AccountDirectory _directory;
    private readonly RecipientCache _recipients;
    private readonly NodeIdentity _node;
    private readonly MessageSpool _spool;
    private readonly MessageQueue _queue;
    private readonly MailStore _store;

    public DeliverySchedulerTests(DatabaseFixture db)
    {
        _db = db;
        _directory = new AccountDirectory(db.Database);
        _recipients = new RecipientCache(_directory, db.Database, TimeProvider.System, NullLogger<RecipientCache>.Instance);
        _node = NodeIdentity.Register(Path.Combine(_root, "data"));
        _spool = new MessageSpool(Path.Combine(_root, "spool"), _time, node: _node);
        _queue = new MessageQueue(db.Database, _spool, _node, _time, NullLogger<MessageQueue>.Instance);
        _store = new MailStore(db.Database, new MailstoreOptions(_root), TimeProvider.System, NullLogger<MailStore>.Instance);
        _directory.AddDomainAsync(DomainName.Parse(_domain)).GetAwaiter().GetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync();
        await _recipients.DisposeAsync();
        _node.Dispose();
        TestDirectories.Delete(_root);
    }

    private DeliveryScheduler Scheduler() =>
        new(_queue, new RecipientRouter(_recipients), new LocalTransport(_store), null, _time, NullLogger<DeliveryScheduler>.Instance);

    private string A(string local) => $"{local}@{_domain}";

    private async Task<MailUser> UserAsync(string local, long? quota = null) =>
        new(await _directory.AddUserAsync(MailAddress.Parse(A(local)), null, quota), MailAddress.Parse(A(local)));

    /// <summary>A message as intake submits it.</summary>
    private async Task<string> SubmitAsync(byte[] message, params string[] recipients)
    {
        var envelope = new SpoolEnvelope
        {
            QueueId = _queue.NewQueueId(), ReceivedAt = _time.GetUtcNow(), MailFrom = "sender@example.net", Recipients = [.. recipients.Select(r => new SpoolRecipient(r))],
        };
        var result = await _queue.SubmitAsync(envelope, new MemoryStream(message), SpoolVerdict.None, CancellationToken.None);
        Assert.True(result.IsAccepted);
        return envelope.QueueId;
    }

    /// <summary>A spool file as a crash right after the 250 leaves it: no queue rows.</summary>
    private async Task<string> SpoolOnlyAsync(byte[] message, params string[] recipients)
    {
        var envelope = new SpoolEnvelope
        {
            QueueId = _spool.NewQueueId(), ReceivedAt = _time.GetUtcNow(), MailFrom = "sender@example.net", Recipients = [.. recipients.Select(r => new SpoolRecipient(r))],
        };
        await using var writer = await _spool.BeginAsync(envelope, CancellationToken.None);
        await writer.Body.WriteAsync(message);
        await writer.CommitAsync(SpoolVerdict.None, CancellationToken.None);
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

    private async Task<IReadOnlyList<QueueRecipient>> RowsAsync(string queueId) => (await _queue.ShowAsync(queueId, CancellationToken.None))!.Recipients;

    [Fact]
    public async Task A_message_spooled_before_a_crash_is_delivered_byte_for_byte_after_Return_Path_and_Delivered_To()
    {
        var alice = await UserAsync("alice");
        var message = Encoding.ASCII.GetBytes("Subject: queued\r\n\r\n" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(3000)) + "\r\n");
        var queueId = await SpoolOnlyAsync(message, A("alice"));

        await _queue.RecoverAsync(CancellationToken.None); // the spool file had no rows: a crash right after the 250
        await Scheduler().RunOnceAsync(CancellationToken.None);

        // RFC 5321 §4.4: Return-Path first, with the reverse-path; Delivered-To names the mailbox.
        var stored = await OnlyMessageOfAsync(alice);
        var prefix = Encoding.ASCII.GetBytes($"Return-Path: <sender@example.net>\r\nDelivered-To: {A("alice")}\r\n");
        Assert.Equal(prefix, stored[..prefix.Length]);
        Assert.Equal(SHA256.HashData(message), SHA256.HashData(stored[prefix.Length..]));
        var row = Assert.Single(await RowsAsync(queueId));
        Assert.Equal(RecipientStatus.Delivered, row.Status);
        Assert.Equal("local", row.Route);
        Assert.Null(row.ClaimedBy);
        Assert.Empty(_spool.List()); // every recipient settled: the spool file is gone
    }

    [Fact]
    public async Task The_null_sender_gets_an_empty_Return_Path_and_the_verdicts_fields_come_before_the_message()
    {
        var gail = await UserAsync("gail");
        var envelope = new SpoolEnvelope { QueueId = _queue.NewQueueId(), ReceivedAt = _time.GetUtcNow(), MailFrom = "", Recipients = [new SpoolRecipient(A("gail"))] };
        var verdict = new SpoolVerdict { Score = 1.0, Symbols = [new VerdictSymbol("MISSING_DATE", 1.0)], Headers = ["X-Check: seen"] };
        Assert.True((await _queue.SubmitAsync(envelope, new MemoryStream("Subject: bounce\r\n\r\nx\r\n"u8.ToArray()), verdict, CancellationToken.None)).IsAccepted);
        await Scheduler().RunOnceAsync(CancellationToken.None);
        Assert.Equal($"Return-Path: <>\r\nDelivered-To: {A("gail")}\r\nX-Check: seen\r\nSubject: bounce\r\n\r\nx\r\n", Encoding.ASCII.GetString(await OnlyMessageOfAsync(gail)));
    }

    [Fact]
    public void While_messages_trickle_in_each_round_first_gathers_arrivals_but_an_idle_server_delivers_at_once()
    {
        var pace = Scheduler().Intake;
        Assert.Equal(TimeSpan.Zero, pace.Gather()); // idle: the first message goes at once

        pace.Count(); // a trickle: the next round waits a little so that the messages right behind share it
        Assert.Equal(pace.TrickleGather, pace.Gather());
        Assert.True(pace.TrickleGather > TimeSpan.Zero);

        for (var i = 0; i < IntakePace.HeavyIntake; i++)
        {
            pace.Count();
        }

        Assert.Equal(TimeSpan.Zero, pace.Gather()); // a burst: the round itself waits for the burst to end

        _time.Advance(TimeSpan.FromMilliseconds(600)); // quiet again
        Assert.Equal(TimeSpan.Zero, pace.Gather());
    }

    [Fact]
    public async Task While_messages_trickle_in_delivery_keeps_to_a_few_at_a_time_unless_the_oldest_has_waited_long()
    {
        var pace = Scheduler().Intake;
        var now = _time.GetUtcNow();
        Assert.Equal(DeliveryScheduler.Parallelism, pace.Parallelism(now, TimeSpan.Zero)); // no intake yet

        pace.Count(); // a message accepted
        Assert.Equal(IntakePace.ParallelismDuringIntake, pace.Parallelism(now, TimeSpan.Zero));
        Assert.Equal(DeliveryScheduler.Parallelism, pace.Parallelism(now - IntakePace.MaxIntakeDeferral, TimeSpan.Zero)); // never starved
        Assert.Equal(DeliveryScheduler.Parallelism, pace.Parallelism(now, IntakePace.MaxIntakeDeferral)); // nor a round that waited

        _time.Advance(TimeSpan.FromMilliseconds(600)); // intake quiet again (two windows of 250 ms)
        Assert.Equal(DeliveryScheduler.Parallelism, pace.Parallelism(_time.GetUtcNow(), TimeSpan.Zero));

        // Under intake every due message is still delivered, only fewer at once.
        var erin = await UserAsync("erin");
        var scheduler = Scheduler();
        for (var i = 0; i < 12; i++)
        {
            await SubmitAsync(Encoding.ASCII.GetBytes($"Subject: m{i}\r\n\r\nbody {i}\r\n"), A("erin"));
        }

        await scheduler.RunOnceAsync(CancellationToken.None);
        var inbox = (await _store.FindMailboxAsync(erin, Storage.Maildir.MailboxName.Inbox, CancellationToken.None))!;
        Assert.Equal(12, (await _store.ListMessagesAsync(inbox, CancellationToken.None)).Count);
        Assert.Empty(_spool.List());
    }

    [Fact]
    public async Task A_burst_is_taken_in_first_and_delivered_right_after_it()
    {
        var frank = await UserAsync("frank");
        var scheduler = Scheduler();
        for (var i = 0; i < 5; i++)
        {
            await SubmitAsync(Encoding.ASCII.GetBytes($"Subject: b{i}\r\n\r\nburst {i}\r\n"), A("frank"));
        }

        for (var i = 0; i < IntakePace.HeavyIntake - 5 - 1; i++)
        {
            scheduler.Intake.Count();
        }

        Assert.Equal(IntakePace.ParallelismDuringIntake, scheduler.Intake.Parallelism(_time.GetUtcNow(), TimeSpan.Zero)); // a trickle yet
        scheduler.Intake.Count();
        Assert.Equal(0, scheduler.Intake.Parallelism(_time.GetUtcNow(), TimeSpan.Zero)); // a burst: delivery waits

        var round = scheduler.RunOnceAsync(CancellationToken.None);
        var early = await _store.FindMailboxAsync(frank, Storage.Maildir.MailboxName.Inbox, CancellationToken.None);
        Assert.False(round.IsCompleted);
        Assert.True(early is null || (await _store.ListMessagesAsync(early, CancellationToken.None)).Count == 0); // nothing during the burst

        for (var i = 0; i < 20 && !round.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(50)); // the burst ends: after a quiet gap, full speed
            await Task.Yield();
        }

        Assert.Equal(5, await round.WaitAsync(TimeSpan.FromSeconds(30)));
        var inbox = (await _store.FindMailboxAsync(frank, Storage.Maildir.MailboxName.Inbox, CancellationToken.None))!;
        Assert.Equal(5, (await _store.ListMessagesAsync(inbox, CancellationToken.None)).Count);
        Assert.Empty(_spool.List());
    }

    [Fact]
    public void One_client_sending_back_to_back_is_a_burst_even_while_deliveries_hold_it_to_half_its_pace()
    {
        // A lone connection reaches ~300 messages a second on two cores with delivery waiting, and half that with
        // deliveries beside it: 100 a second, a message every 10 ms, must already hold delivery back, or the
        // deliveries keep the client slow enough to look like a trickle.
        var pace = Scheduler().Intake;
        for (var i = 0; i < 25; i++)
        {
            pace.Count();
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(0, pace.Parallelism(_time.GetUtcNow(), TimeSpan.Zero));
        Assert.Equal(TimeSpan.Zero, pace.Gather()); // the round itself waits for the stream to pause

        _time.Advance(IntakePace.QuietGap); // the client is done: the backlog goes at full parallelism
        Assert.Equal(DeliveryScheduler.Parallelism, pace.Parallelism(_time.GetUtcNow(), TimeSpan.Zero));
    }

    [Fact]
    public void After_a_burst_and_a_quiet_gap_delivery_goes_at_full_speed_wherever_the_window_boundary_fell()
    {
        // 25 messages 10 ms apart, then a quiet gap, with the window boundary at each point of a 250 ms window in turn:
        // once the first messages fall out of the last window, what is left of the burst can count less than a burst.
        for (var phase = 0; phase < 250; phase += 5)
        {
            var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
            var pace = new IntakePace(time);
            time.Advance(TimeSpan.FromMilliseconds(phase));
            for (var i = 0; i < 25; i++)
            {
                pace.Count();
                time.Advance(TimeSpan.FromMilliseconds(10));
            }

            Assert.Equal(0, pace.Parallelism(time.GetUtcNow(), TimeSpan.Zero));
            time.Advance(IntakePace.QuietGap);
            Assert.Equal(DeliveryScheduler.Parallelism, pace.Parallelism(time.GetUtcNow(), TimeSpan.Zero));
        }
    }

    [Fact]
    public void A_burst_is_over_after_a_quiet_gap_not_when_its_windows_have_rolled_by()
    {
        var pace = Scheduler().Intake;
        for (var i = 0; i < IntakePace.HeavyIntake; i++)
        {
            pace.Count();
        }

        Assert.Equal(0, pace.Parallelism(_time.GetUtcNow(), TimeSpan.Zero));
        _time.Advance(IntakePace.QuietGap - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, pace.Parallelism(_time.GetUtcNow(), TimeSpan.Zero)); // a pause in the burst
        pace.Count();
        _time.Advance(IntakePace.QuietGap);
        Assert.Equal(DeliveryScheduler.Parallelism, pace.Parallelism(_time.GetUtcNow(), TimeSpan.Zero)); // the window still counts 65
    }

    [Fact]
    public async Task An_alias_delivers_to_each_user_once_and_a_rerun_delivers_nothing_twice()
    {
        var bob = await UserAsync("bob");
        var carol = await UserAsync("carol");
        await _directory.AddAliasAsync(MailAddress.Parse(A("team")), [MailAddress.Parse(A("bob")), MailAddress.Parse(A("carol"))]);
        var queueId = await SubmitAsync("Subject: team\r\n\r\nhi\r\n"u8.ToArray(), A("team"), A("bob"));

        var scheduler = Scheduler();
        await scheduler.RunOnceAsync(CancellationToken.None);
        // As if the outcome had been lost (a crash before its commit reached the disk): the rows are due again.
        await using (var again = _db.DataSource.CreateCommand("UPDATE queue_recipients SET status = 'deferred' WHERE queue_id = $1"))
        {
            again.Parameters.AddWithValue(queueId);
            await again.ExecuteNonQueryAsync();
        }

        await scheduler.RunOnceAsync(CancellationToken.None);
        var bobInbox = (await _store.FindMailboxAsync(bob, Storage.Maildir.MailboxName.Inbox, CancellationToken.None))!;
        Assert.Equal(2, (await _store.ListMessagesAsync(bobInbox, CancellationToken.None)).Count); // once as team, once as bob
        Assert.NotNull(await OnlyMessageOfAsync(carol));
    }

    [Fact]
    public async Task External_and_over_quota_recipients_stay_queued_and_keep_the_spool_file()
    {
        var dora = await UserAsync("dora", quota: 1024);
        var big = Encoding.ASCII.GetBytes("Subject: big\r\n\r\n" + new string('x', 5000) + "\r\n");
        var queueId = await SubmitAsync(big, A("dora"), "friend@elsewhere.example");

        var scheduler = Scheduler();
        await scheduler.RunOnceAsync(CancellationToken.None);

        var rows = await RowsAsync(queueId);
        Assert.All(rows, r => Assert.Equal(RecipientStatus.Deferred, r.Status));
        Assert.Contains("storage quota exceeded", rows.Single(r => r.Recipient == A("dora")).LastResult, StringComparison.Ordinal);
        Assert.Contains("4.3.2 outbound delivery is not configured", rows.Single(r => r.Recipient == "friend@elsewhere.example").LastResult, StringComparison.Ordinal);
        Assert.All(rows, r => Assert.True(r.NextAttemptAt > _time.GetUtcNow().AddMinutes(5).AddMilliseconds(-1))); // the database keeps microseconds
        Assert.Equal([queueId], _spool.List());

        // The admin raises the quota and retries: now it is delivered, the external one still waits.
        await using (var raise = _db.DataSource.CreateCommand("UPDATE users SET quota_bytes = NULL WHERE address_id = $1"))
        {
            raise.Parameters.AddWithValue(dora.Id);
            await raise.ExecuteNonQueryAsync();
        }

        await _queue.RetryAsync(queueId, CancellationToken.None);
        await scheduler.RunOnceAsync(CancellationToken.None);
        Assert.Equal(RecipientStatus.Delivered, (await RowsAsync(queueId)).Single(r => r.Recipient == A("dora")).Status);
        Assert.Equal([queueId], _spool.List());
        Assert.Equal(4, (await _queue.ShowAsync(queueId, CancellationToken.None))!.Attempts.Count); // every attempt, with its reply
    }

    [Fact]
    public async Task Hold_keeps_a_message_back_release_lets_it_go_and_delete_removes_its_file_at_once()
    {
        var hank = await UserAsync("hank");
        var held = await SubmitAsync("Subject: held\r\n\r\nx\r\n"u8.ToArray(), A("hank"));
        Assert.Equal(1, await _queue.HoldAsync(held, CancellationToken.None));
        var scheduler = Scheduler();
        await scheduler.RunOnceAsync(CancellationToken.None);
        Assert.Equal(RecipientStatus.Held, Assert.Single(await RowsAsync(held)).Status);
        var inbox = await _store.FindMailboxAsync(hank, Storage.Maildir.MailboxName.Inbox, CancellationToken.None);
        Assert.True(inbox is null || (await _store.ListMessagesAsync(inbox, CancellationToken.None)).Count == 0);

        Assert.Equal(1, await _queue.ReleaseAsync(held, CancellationToken.None));
        await scheduler.RunOnceAsync(CancellationToken.None);
        Assert.NotNull(await OnlyMessageOfAsync(hank));

        var external = await SubmitAsync("Subject: x\r\n\r\nx\r\n"u8.ToArray(), "someone@elsewhere.example");
        await scheduler.RunOnceAsync(CancellationToken.None);
        Assert.Equal([external], _spool.List());
        Assert.Equal((true, 1), await _queue.DeleteAsync(external, CancellationToken.None));
        Assert.Equal(RecipientStatus.Discarded, Assert.Single(await RowsAsync(external)).Status);
        Assert.Empty(_spool.List());
        Assert.Empty(Directory.GetFiles(_spool.FreeDirectory)); // unlinked, not kept for reuse
    }
}
