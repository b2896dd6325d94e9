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

namespace MailAppliance.Reliability.Tests.Faults;

/// <summary>
/// The wall clock jumps (an RTC reset, a large NTP step) under the queue: the scheduler, the spool and the queue
/// share one <see cref="TimeProvider"/>, here a fake one that jumps. Leases are timed by PostgreSQL, so a node's
/// clock cannot steal or keep claims; what a jump may not do is strand the backlog until the clock catches up.
/// </summary>
public sealed class ClockJumpTests : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly string _root = TestDirectories.Create("clock");
    private readonly string _domain = $"c{Guid.NewGuid():N}"[..10] + ".test";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly AccountDirectory _directory;
    private readonly RecipientCache _recipients;
    private readonly NodeIdentity _node;
    private readonly MessageSpool _spool;
    private readonly MessageQueue _queue;
    private readonly MailStore _store;

    public ClockJumpTests(DatabaseFixture db)
    {
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

    private async Task<string> UserAsync(string local)
    {
        var address = MailAddress.Parse($"{local}@{_domain}");
        await _directory.AddUserAsync(address, null, null);
        return address.ToString();
    }

    private async Task<string> SubmitAsync(string recipient, int size = 200)
    {
        var envelope = new SpoolEnvelope
        {
            QueueId = _queue.NewQueueId(), ReceivedAt = _time.GetUtcNow(), MailFrom = "sender@example.net", Recipients = [new SpoolRecipient(recipient)],
        };
        var body = Encoding.ASCII.GetBytes($"Subject: clock\r\n\r\n{new string('c', size)}\r\n");
        Assert.True((await _queue.SubmitAsync(envelope, new MemoryStream(body), SpoolVerdict.None, CancellationToken.None)).IsAccepted);
        return envelope.QueueId;
    }

    private async Task<IReadOnlyList<QueueRecipient>> WaitingAsync(string queueId) =>
        (await _queue.WaitingAsync(CancellationToken.None)).Where(r => r.QueueId == queueId).ToList();

    [Fact]
    public async Task Mail_queued_before_the_clock_jumps_back_a_year_is_delivered_at_once()
    {
        var user = await UserAsync("back");
        var id = await SubmitAsync(user);
        _time.AdjustTime(_time.GetUtcNow().AddYears(-1)); // before the scheduler's first round
        await Scheduler().RunOnceAsync(CancellationToken.None);
        Assert.Empty(await WaitingAsync(id));
    }

    /// <summary>An external recipient: deferred (five minutes, then longer) while outbound delivery is not there.</summary>
    private const string External = "someone@example.net";

    [Fact]
    public async Task A_deferred_recipient_is_retried_at_once_after_the_clock_jumps_back_two_days()
    {
        var id = await SubmitAsync(External);
        var scheduler = Scheduler();
        await scheduler.RunOnceAsync(CancellationToken.None);
        Assert.Equal(1, Assert.Single(await WaitingAsync(id)).Attempts);

        // Its next attempt lies two days and five minutes ahead of the clock now: no schedule puts one that far.
        _time.AdjustTime(_time.GetUtcNow().AddDays(-2));
        await scheduler.RunOnceAsync(CancellationToken.None);
        Assert.Equal(2, Assert.Single(await WaitingAsync(id)).Attempts);

        // And then it keeps its ordinary schedule: not due again within the backoff.
        await scheduler.RunOnceAsync(CancellationToken.None);
        Assert.Equal(2, Assert.Single(await WaitingAsync(id)).Attempts);
    }

    [Fact]
    public async Task A_jump_forward_makes_deferred_mail_due_and_new_mail_flows()
    {
        var user = await UserAsync("forward");
        var deferred = await SubmitAsync(External);
        var scheduler = Scheduler();
        await scheduler.RunOnceAsync(CancellationToken.None);

        _time.AdjustTime(_time.GetUtcNow().AddDays(3));
        var fresh = await SubmitAsync(user);
        await scheduler.RunOnceAsync(CancellationToken.None);
        Assert.Equal(2, Assert.Single(await WaitingAsync(deferred)).Attempts);
        Assert.Empty(await WaitingAsync(fresh));
    }
}
