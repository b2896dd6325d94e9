using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Storage.Tests.Mailstore;

/// <summary>
/// The process's catalogue of immutable message facts (<see cref="MailStore.GetFactsAsync"/>): it answers as the
/// index rows do, learns of messages delivered after a block was read, and knows expunged UIDs as missing.
/// </summary>
public sealed class MessageCatalogTests : IAsyncLifetime
{
    private MailstoreFixture _f = null!;

    public async Task InitializeAsync() => _f = await MailstoreFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task Facts_equal_the_rows_and_follow_later_deliveries_and_expunges()
    {
        var user = await _f.UserAsync("facts@example.test");
        for (var i = 0; i < 3; i++)
        {
            await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("m" + i)), CancellationToken.None);
        }

        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        var all = MessageViews.Envelope | MessageViews.BodyStructure | MessageViews.Body;
        var first = await _f.Store.GetFactsAsync(inbox, [1, 2, 3, 4], all, CancellationToken.None);
        var rows = await _f.Store.FetchRecordsAsync(inbox, [1, 2, 3], all, CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(first[i].Found);
            Assert.Equal(rows[i].Info.CrlfSize, first[i].CrlfSize);
            Assert.Equal(rows[i].Info.Size, first[i].Size);
            Assert.Equal(rows[i].Info.InternalDate, first[i].InternalDate);
            Assert.Equal(rows[i].Envelope, first[i].Envelope);
            Assert.Equal(rows[i].BodyStructure, first[i].BodyStructure);
            Assert.Equal(rows[i].Body, first[i].Body);
        }

        Assert.False(first[3].Found); // not delivered yet

        // A message delivered after the block was read is found, an expunged one stays as it was known.
        await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("late")), CancellationToken.None);
        await _f.Store.ExpungeAsync(user, inbox, [2], CancellationToken.None);
        var second = await _f.Store.GetFactsAsync(inbox, [2, 4], MessageViews.Envelope, CancellationToken.None);
        Assert.True(second[0].Found);
        Assert.True(second[1].Found);
        Assert.NotNull(second[1].Envelope);

        // A process that had not read the block before knows the expunged message as missing.
        var fresh = await _f.NewStore().GetFactsAsync(inbox, [1, 2, 3, 4, 5000], MessageViews.None, CancellationToken.None);
        Assert.Equal([true, false, true, true, false], fresh.Select(f => f.Found));
        Assert.Null(fresh[0].Envelope);
    }

    [Fact]
    public async Task Uids_across_blocks_are_read_in_one_go_and_a_forgotten_mailbox_is_read_again()
    {
        var user = await _f.UserAsync("blocks@example.test");
        await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("one")), CancellationToken.None);
        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        uint far = MessageCatalog.BlockSize * 3 + 7;
        var facts = await _f.Store.GetFactsAsync(inbox, [1, MessageCatalog.BlockSize, far], MessageViews.None, CancellationToken.None);
        Assert.Equal([true, false, false], facts.Select(f => f.Found));

        _f.Store.Catalog.Forget(inbox.Id);
        Assert.True((await _f.Store.GetFactsAsync(inbox, [1], MessageViews.None, CancellationToken.None))[0].Found);
    }
}
