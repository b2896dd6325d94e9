using MailAppliance.Storage.Locks;
using MailAppliance.Core.Addresses;
using MailAppliance.Pop3.Server;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Pop3.Tests;

/// <summary>The TRANSACTION-state bookkeeping: numbering, deletion marks, sizes, UIDLs.</summary>
public class MaildropTests
{
    private static Maildrop Snapshot()
    {
        var user = new MailUser(7, MailAddress.Parse("alice@example.test"));
        var mailbox = new MailboxInfo(3, 7, MailboxName.Inbox, 1795333366, 10, 1, "/nonexistent");
        MessageInfo Message(uint uid, long crlfSize) =>
            new(3, uid, $"base{uid}", $"base{uid}:2,", crlfSize - 2, crlfSize, DateTimeOffset.UnixEpoch, MaildirFlags.None, [], 1);
        return new Maildrop(user, mailbox, [Message(1, 100), Message(4, 250), Message(9, 50)]);
    }

    [Fact]
    public void Stat_counts_crlf_sizes_of_messages_not_marked()
    {
        var maildrop = Snapshot();
        Assert.Equal((3, 400L), (maildrop.Count, maildrop.Octets));
        maildrop.MarkDeleted(2);
        Assert.Equal((2, 150L), (maildrop.Count, maildrop.Octets));
    }

    [Fact]
    public void Listings_give_number_and_size_or_unique_id_of_each_message_not_marked_then_a_dot()
    {
        var user = new MailUser(7, MailAddress.Parse("alice@example.test"));
        var mailbox = new MailboxInfo(3, 7, MailboxName.Inbox, uint.MaxValue, 10, 1, "/nonexistent");
        var messages = Enumerable.Range(1, 12)
            .Select(i => new MessageInfo(3, i == 12 ? uint.MaxValue : (uint)(i * 7919), $"b{i}", $"b{i}:2,", 0,
                i == 12 ? 5_000_000_000L : i * 1000 + 3, DateTimeOffset.UnixEpoch, MaildirFlags.None, [], 1))
            .ToList();
        var maildrop = new Maildrop(user, mailbox, messages);
        maildrop.MarkDeleted(3);

        var sizes = new System.Buffers.ArrayBufferWriter<byte>(1); // grows line by line: no line may assume room
        var ids = new System.Buffers.ArrayBufferWriter<byte>(1);
        maildrop.WriteListing(sizes, uniqueIds: false);
        maildrop.WriteListing(ids, uniqueIds: true);

        var kept = Enumerable.Range(1, 12).Where(n => n != 3).ToList();
        Assert.Equal(string.Concat(kept.Select(n => $"{n} {messages[n - 1].CrlfSize}\r\n")) + ".\r\n",
            System.Text.Encoding.ASCII.GetString(sizes.WrittenSpan));
        Assert.Equal(string.Concat(kept.Select(n => $"{n} {Protocol.UniqueId.Format(uint.MaxValue, messages[n - 1].Uid)}\r\n")) + ".\r\n",
            System.Text.Encoding.ASCII.GetString(ids.WrittenSpan));
        Assert.EndsWith("12 ffffffffffffffff\r\n.\r\n", System.Text.Encoding.ASCII.GetString(ids.WrittenSpan));
        Assert.Contains("\r\n12 5000000000\r\n", System.Text.Encoding.ASCII.GetString(sizes.WrittenSpan));
    }

    [Fact]
    public void Marked_messages_cannot_be_found_until_reset()
    {
        var maildrop = Snapshot();
        maildrop.MarkDeleted(1);
        Assert.Null(maildrop.Find(1));
        Assert.True(maildrop.Exists(1));
        Assert.Equal([1u], maildrop.DeletedUids);
        maildrop.Reset();
        Assert.Equal(1u, maildrop.Find(1)!.Uid);
        Assert.Empty(maildrop.DeletedUids);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void Numbers_outside_the_snapshot_do_not_exist(int number)
    {
        var maildrop = Snapshot();
        Assert.False(maildrop.Exists(number));
        Assert.Null(maildrop.Find(number));
    }

    [Fact]
    public void Uidl_is_uid_then_uidvalidity()
    {
        var maildrop = Snapshot();
        Assert.Equal("000000046b029cf6", maildrop.UniqueIdOf(maildrop.Find(2)!));
    }

    [Fact]
    public async Task In_memory_lock_is_exclusive_until_released()
    {
        var locks = new InMemoryMaildropLocks();
        var first = await locks.TryAcquireAsync(3, CancellationToken.None);
        Assert.NotNull(first);
        Assert.Null(await locks.TryAcquireAsync(3, CancellationToken.None));
        Assert.NotNull(await locks.TryAcquireAsync(4, CancellationToken.None));
        await first!.DisposeAsync();
        Assert.NotNull(await locks.TryAcquireAsync(3, CancellationToken.None));
    }
}
