using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Mailstore;

/// <summary>
/// A delivery stopped after each of its steps (as a crash would stop it), then start-up recovery (reconstruct):
/// the message ends delivered exactly once, with the UID it was given, or not at all while the sender still holds it.
/// </summary>
public sealed class CrashRecoveryTests : IAsyncLifetime
{
    private MailstoreFixture _f = null!;

    public async Task InitializeAsync() => _f = await MailstoreFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private sealed class SimulatedCrash : Exception;

    [Theory]
    [InlineData(DeliveryStep.Committed)]
    [InlineData(DeliveryStep.Published)]
    [InlineData(DeliveryStep.Listed)]
    public async Task A_crash_after_the_index_commit_ends_delivered_once_with_its_uid(DeliveryStep step)
    {
        var user = await _f.UserAsync($"u{(int)step}@example.test");
        var message = MailstoreFixture.Message("survives");
        var crashing = _f.NewStore();
        crashing.FaultInjection = s => s == step ? throw new SimulatedCrash() : Task.CompletedTask;
        await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("before")), CancellationToken.None);

        await Assert.ThrowsAsync<SimulatedCrash>(() => crashing.DeliverAsync(
            new DeliveryRequest(user, MailboxName.Inbox) { DeliveryKey = "Q9:rcpt" }, new MemoryStream(message), CancellationToken.None));

        // Start-up recovery, then the queue retries the same delivery.
        await _f.NewStore().ReconstructUserAsync(user, null, CancellationToken.None);
        var retry = await _f.NewStore().DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox) { DeliveryKey = "Q9:rcpt" }, new MemoryStream(message), CancellationToken.None);

        Assert.Equal(DeliveryStatus.AlreadyDelivered, retry.Status);
        Assert.Equal(2u, retry.Uid);
        var root = _f.Store.RootOf(user);
        Assert.Equal(2, Directory.GetFiles(root.Inbox.NewPath).Length + Directory.GetFiles(root.Inbox.CurPath).Length);
        Assert.Empty(Directory.GetFiles(root.Inbox.TmpPath));
        Assert.Equal([1u, 2u], UidListFile.Read(root.Inbox.Path).Value.Records.Select(r => r.Uid));
        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        var rows = await _f.Store.ListMessagesAsync(inbox, CancellationToken.None);
        Assert.Equal([1u, 2u], rows.Select(r => r.Uid));
        Assert.All(rows, r => Assert.NotNull(_f.Store.OpenMessage(inbox, r)));
        await using var pending = _f.DataSource.CreateCommand("SELECT count(*) FROM messages WHERE pending");
        Assert.Equal(0L, await pending.ExecuteScalarAsync());

        // The next delivery continues above it.
        var next = await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("after")), CancellationToken.None);
        Assert.Equal(3u, next.Uid);
    }

    [Fact]
    public async Task A_crash_before_the_index_commit_delivers_nothing_and_the_retry_delivers_once()
    {
        var user = await _f.UserAsync("early@example.test");
        var crashing = _f.NewStore();
        crashing.FaultInjection = s => s == DeliveryStep.Sealed ? throw new SimulatedCrash() : Task.CompletedTask;
        await Assert.ThrowsAsync<SimulatedCrash>(() => crashing.DeliverAsync(
            new DeliveryRequest(user, MailboxName.Inbox) { DeliveryKey = "Q1:r" }, new MemoryStream(MailstoreFixture.Message("m")), CancellationToken.None));

        // A real crash at that point may also leave the fsync'd tmp file behind: recovery removes it once stale.
        var root = _f.Store.RootOf(user);
        var leftover = Path.Combine(root.Inbox.TmpPath, "1700000000.M1P1.crashed,S=10,W=10");
        await File.WriteAllTextAsync(leftover, "partial...");
        File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddDays(-3));
        File.SetLastAccessTimeUtc(leftover, DateTime.UtcNow.AddDays(-3));
        await _f.NewStore().ReconstructUserAsync(user, null, CancellationToken.None);
        Assert.False(File.Exists(leftover));
        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        Assert.Empty(await _f.Store.ListMessagesAsync(inbox, CancellationToken.None));

        var retry = await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox) { DeliveryKey = "Q1:r" }, new MemoryStream(MailstoreFixture.Message("m")), CancellationToken.None);
        Assert.Equal(DeliveryStatus.Delivered, retry.Status);
        Assert.Single(Directory.GetFiles(root.Inbox.NewPath));
    }

    [Fact]
    public async Task Readers_see_a_committed_message_even_before_it_reaches_new()
    {
        var user = await _f.UserAsync("reader@example.test");
        var crashing = _f.NewStore();
        crashing.FaultInjection = s => s == DeliveryStep.Committed ? throw new SimulatedCrash() : Task.CompletedTask;
        var message = MailstoreFixture.Message("in tmp");
        await Assert.ThrowsAsync<SimulatedCrash>(() => crashing.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(message), CancellationToken.None));

        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        var row = Assert.Single(await _f.Store.ListMessagesAsync(inbox, CancellationToken.None));
        await using var stream = _f.Store.OpenMessage(inbox, row)!;
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal(message, copy.ToArray());
    }

    [Fact]
    public async Task Start_up_recovery_finishes_interrupted_deliveries_of_every_user()
    {
        var users = new[] { await _f.UserAsync("r1@example.test"), await _f.UserAsync("r2@example.test"), await _f.UserAsync("r3@example.test") };
        var crashing = _f.NewStore();
        crashing.FaultInjection = s => s == DeliveryStep.Committed ? throw new SimulatedCrash() : Task.CompletedTask;
        foreach (var user in users.Take(2))
        {
            await Assert.ThrowsAsync<SimulatedCrash>(() => crashing.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("x")), CancellationToken.None));
        }

        await _f.Store.DeliverAsync(new DeliveryRequest(users[2], MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("fine")), CancellationToken.None);

        Assert.Equal(2, await _f.NewStore().RecoverAsync(CancellationToken.None));
        Assert.Equal(0, await _f.NewStore().RecoverAsync(CancellationToken.None));
        foreach (var user in users)
        {
            Assert.Single(Directory.GetFiles(_f.Store.RootOf(user).Inbox.NewPath));
            Assert.Equal([1u], UidListFile.Read(_f.Store.RootOf(user).Inbox.Path).Value.Records.Select(r => r.Uid));
        }
    }
}
