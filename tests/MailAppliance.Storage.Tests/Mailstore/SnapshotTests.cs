using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Storage.Tests.Mailstore;

/// <summary>What SELECT reads: every message's state, the keywords in use, and the first message without \Seen.</summary>
public sealed class SnapshotTests : IAsyncLifetime
{
    private MailstoreFixture _f = null!;
    private MailUser _user = null!;

    public async Task InitializeAsync()
    {
        _f = await MailstoreFixture.CreateAsync();
        _user = await _f.UserAsync("snapshot@example.test");
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private async Task<MailboxInfo> Inbox() => (await _f.Store.FindMailboxAsync(_user, MailboxName.Inbox, CancellationToken.None))!;

    private async Task<uint> Put(string subject) =>
        (await _f.Store.DeliverAsync(new DeliveryRequest(_user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message(subject)), CancellationToken.None)).Uid;

    [Fact]
    public async Task Snapshot_has_states_keywords_in_use_and_the_first_unseen_message()
    {
        var uids = new List<uint>();
        for (var i = 0; i < 4; i++)
        {
            uids.Add(await Put("m" + i));
        }

        var inbox = await Inbox();
        await _f.Store.StoreFlagsAsync(_user, inbox, [uids[0], uids[1]], FlagMode.Add, MaildirFlags.Seen, [], null, CancellationToken.None);
        await _f.Store.StoreFlagsAsync(_user, inbox, [uids[1]], FlagMode.Add, MaildirFlags.None, ["project", "$Label1"], null, CancellationToken.None);
        await _f.Store.StoreFlagsAsync(_user, inbox, [uids[3]], FlagMode.Add, MaildirFlags.Flagged, ["Project"], null, CancellationToken.None);

        var snapshot = await _f.Store.LoadSnapshotAsync(inbox, CancellationToken.None);

        Assert.Equal(uids, snapshot.Messages.Select(m => m.Uid));
        Assert.Equal(2, snapshot.FirstUnseen);
        Assert.Equal(MaildirFlags.Seen, snapshot.Messages[1].Flags);
        Assert.Equal(["$Label1", "project"], snapshot.Messages[1].Keywords.Order(StringComparer.Ordinal));
        Assert.Empty(snapshot.Messages[2].Keywords);
        Assert.Single(snapshot.Keywords, k => k.Equals("project", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("$Label1", snapshot.Keywords);
        Assert.True(snapshot.HighestModSeq >= snapshot.Messages.Max(m => m.ModSeq));
    }

    [Fact]
    public async Task An_empty_or_all_seen_mailbox_has_no_first_unseen()
    {
        var inbox = await Inbox();
        var empty = await _f.Store.LoadSnapshotAsync(inbox, CancellationToken.None);
        Assert.Empty(empty.Messages);
        Assert.Equal(-1, empty.FirstUnseen);
        Assert.Empty(empty.Keywords);

        var uid = await Put("seen");
        await _f.Store.StoreFlagsAsync(_user, inbox, [uid], FlagMode.Add, MaildirFlags.Seen, [], null, CancellationToken.None);
        Assert.Equal(-1, (await _f.Store.LoadSnapshotAsync(inbox, CancellationToken.None)).FirstUnseen);
    }

    [Fact]
    public async Task A_cached_snapshot_of_a_large_mailbox_catches_up_with_every_change_since()
    {
        // Threshold 1: every mailbox counts as large, so the second and later SELECTs start from the cache.
        var store = _f.NewStore(options: new MailstoreOptions(_f.DataDirectory) { SnapshotCacheThreshold = 1 });
        var uids = new List<uint>();
        for (var i = 0; i < 5; i++)
        {
            uids.Add(await Put("c" + i));
        }

        var inbox = await Inbox();
        var first = await store.LoadSnapshotAsync(inbox, CancellationToken.None);
        Assert.Equal(uids, first.Messages.Select(m => m.Uid));

        // A session changes its own copy: the cache must not see it.
        first.Messages.RemoveAt(0);

        // Changes through another store (as another process would make them).
        await _f.Store.StoreFlagsAsync(_user, inbox, [uids[0]], FlagMode.Add, MaildirFlags.Seen, ["later"], null, CancellationToken.None);
        await _f.Store.ExpungeAsync(_user, inbox, [uids[2]], CancellationToken.None);
        var added = await Put("c5");

        var second = await store.LoadSnapshotAsync(inbox, CancellationToken.None);
        var fresh = await _f.Store.LoadSnapshotAsync(inbox, CancellationToken.None);
        Assert.Equal([uids[0], uids[1], uids[3], uids[4], added], second.Messages.Select(m => m.Uid));
        Assert.Equal(fresh.Messages.Select(m => (m.Uid, m.Flags, m.ModSeq, string.Join(',', m.Keywords))), second.Messages.Select(m => (m.Uid, m.Flags, m.ModSeq, string.Join(',', m.Keywords))));
        Assert.Equal(fresh.HighestModSeq, second.HighestModSeq);
        Assert.Equal(fresh.FirstUnseen, second.FirstUnseen);
        Assert.Contains("later", second.Keywords);
        Assert.Equal(MaildirFlags.Seen, second.Messages[0].Flags);
    }
}
