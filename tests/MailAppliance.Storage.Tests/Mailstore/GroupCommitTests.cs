using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Mailstore;

/// <summary>Deliveries through one store at once: they are committed in groups, and each still behaves as alone.</summary>
public sealed class GroupCommitTests : IAsyncLifetime
{
    private MailstoreFixture _f = null!;

    public async Task InitializeAsync() => _f = await MailstoreFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static Task<DeliveryResult> Deliver(MailStore store, MailUser user, byte[] message, string? key = null) =>
        Task.Run(() => store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox) { DeliveryKey = key }, new MemoryStream(message), CancellationToken.None));

    private async Task<long> CountAsync(string sql, long id)
    {
        await using var command = _f.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(id);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Concurrent_deliveries_to_several_mailboxes_get_contiguous_uids_listed_once()
    {
        var users = new List<MailUser>();
        for (var i = 0; i < 4; i++)
        {
            var user = await _f.UserAsync($"g{i}@example.test");
            await _f.Store.EnsureMailboxAsync(user, MailboxName.Inbox, CancellationToken.None);
            users.Add(user);
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Deliver(_f.Store, users[i % 4], MailstoreFixture.Message($"m{i}"), $"Q{i}:r")));

        Assert.All(results, r => Assert.Equal(DeliveryStatus.Delivered, r.Status));
        foreach (var user in users)
        {
            var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
            var rows = await _f.Store.ListMessagesAsync(inbox, CancellationToken.None);
            Assert.Equal(Enumerable.Range(1, 15).Select(u => (uint)u), rows.Select(r => r.Uid));
            Assert.All(rows, r => Assert.StartsWith("new/", r.FileName, StringComparison.Ordinal));
            var list = UidListFile.Read(inbox.FolderPath).Value;
            Assert.Equal(rows.Select(r => (r.Uid, r.BaseName)), list.Records.Select(r => (r.Uid, r.BaseName)));
            Assert.Equal(15, Directory.GetFiles(inbox.FolderPath + "/new").Length);
            Assert.Empty(Directory.GetFiles(inbox.FolderPath + "/tmp"));
            Assert.Equal(0, await CountAsync("SELECT count(*) FROM messages WHERE pending AND mailbox_id = $1", inbox.Id));
        }
    }

    [Fact]
    public async Task The_same_delivery_key_twice_at_once_is_delivered_once()
    {
        var user = await _f.UserAsync("twice@example.test");
        await _f.Store.EnsureMailboxAsync(user, MailboxName.Inbox, CancellationToken.None);
        var message = MailstoreFixture.Message("once");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Deliver(_f.Store, user, message, "Q7:same")));

        var delivered = Assert.Single(results, r => r.Status == DeliveryStatus.Delivered);
        Assert.All(results.Where(r => r.Status != DeliveryStatus.Delivered), r =>
        {
            Assert.Equal(DeliveryStatus.AlreadyDelivered, r.Status);
            Assert.Equal(delivered.Uid, r.Uid);
        });
        var inbox = _f.Store.RootOf(user).Inbox;
        Assert.Single(Directory.GetFiles(inbox.NewPath));
        Assert.Empty(Directory.GetFiles(inbox.TmpPath));
    }

    [Fact]
    public async Task A_group_over_quota_delivers_exactly_what_fits()
    {
        var user = await _f.UserAsync("full@example.test", quotaMessages: 5);
        await _f.Store.EnsureMailboxAsync(user, MailboxName.Inbox, CancellationToken.None);

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Deliver(_f.Store, user, MailstoreFixture.Message($"q{i}"))));

        Assert.Equal(5, results.Count(r => r.Status == DeliveryStatus.Delivered));
        Assert.All(results.Where(r => r.Status != DeliveryStatus.Delivered), r => Assert.Equal("message count quota exceeded: 5 of 5 messages", r.Reason));
        Assert.Equal(5L, await CountAsync("SELECT messages FROM quota_usage WHERE user_id = $1", user.Id));
        Assert.Equal(5, Directory.GetFiles(_f.Store.RootOf(user).Inbox.NewPath).Length);
        Assert.Empty(Directory.GetFiles(_f.Store.RootOf(user).Inbox.TmpPath));
    }

    [Fact]
    public async Task A_retry_in_a_group_is_answered_with_the_first_uid_and_not_charged()
    {
        var user = await _f.UserAsync("retry@example.test");
        var first = await Deliver(_f.Store, user, MailstoreFixture.Message("r0"), "Q1:r");

        var results = await Task.WhenAll(
            Deliver(_f.Store, user, MailstoreFixture.Message("r0"), "Q1:r"),
            Deliver(_f.Store, user, MailstoreFixture.Message("r1"), "Q2:r"),
            Deliver(_f.Store, user, MailstoreFixture.Message("r2"), "Q3:r"));

        Assert.Equal(new DeliveryResult(DeliveryStatus.AlreadyDelivered, first.MailboxId, first.UidValidity, first.Uid), results[0]);
        Assert.Equal(3L, await CountAsync("SELECT messages FROM quota_usage WHERE user_id = $1", user.Id));
    }

    [Theory]
    [InlineData(DeliveryStep.Committed)]
    [InlineData(DeliveryStep.Published)]
    [InlineData(DeliveryStep.Listed)]
    public async Task A_crash_in_a_group_is_recovered_with_every_uid_kept(DeliveryStep step)
    {
        var users = new[] { await _f.UserAsync($"c{(int)step}a@example.test"), await _f.UserAsync($"c{(int)step}b@example.test") };
        foreach (var user in users)
        {
            await _f.Store.EnsureMailboxAsync(user, MailboxName.Inbox, CancellationToken.None);
        }

        var crashing = _f.NewStore();
        var release = new TaskCompletionSource();
        crashing.FaultInjection = async s =>
        {
            if (s == step)
            {
                await release.Task;
                throw new SimulatedCrash();
            }
        };

        // The first delivery's group waits at the crash point while the others queue up as the next group.
        var deliveries = Enumerable.Range(0, 10).Select(i => Deliver(crashing, users[i % 2], MailstoreFixture.Message($"c{i}"), $"C{i}:r")).ToList();
        await Task.Delay(500);
        release.SetResult();
        foreach (var delivery in deliveries)
        {
            await Assert.ThrowsAsync<SimulatedCrash>(() => delivery);
        }

        Assert.Equal(2, await _f.NewStore().RecoverAsync(CancellationToken.None));
        var retried = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Deliver(_f.NewStore(), users[i % 2], MailstoreFixture.Message($"c{i}"), $"C{i}:r")));
        Assert.All(retried, r => Assert.Equal(DeliveryStatus.AlreadyDelivered, r.Status));
        foreach (var user in users)
        {
            var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
            var rows = await _f.Store.ListMessagesAsync(inbox, CancellationToken.None);
            Assert.Equal(Enumerable.Range(1, 5).Select(u => (uint)u), rows.Select(r => r.Uid));
            Assert.Equal(rows.Select(r => (r.Uid, r.BaseName)), UidListFile.Read(inbox.FolderPath).Value.Records.Select(r => (r.Uid, r.BaseName)));
            Assert.Equal(0, await CountAsync("SELECT count(*) FROM messages WHERE pending AND mailbox_id = $1", inbox.Id));
        }
    }

    private sealed class SimulatedCrash : Exception;
}
