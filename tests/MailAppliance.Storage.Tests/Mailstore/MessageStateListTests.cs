using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Storage.Tests.Mailstore;

/// <summary>The compact list a selected mailbox keeps: it must behave as the list of states it replaces.</summary>
public class MessageStateListTests
{
    [Fact]
    public void Keeps_uid_flags_modseq_and_keywords_in_order()
    {
        var list = new MessageStateList();
        list.Add(1, MaildirFlags.Seen, 10);
        list.Add(new MessageState(2, MaildirFlags.Flagged | MaildirFlags.Replied, ["$Label1", "project"], 11));
        list.Add(5, MaildirFlags.None, 12);

        Assert.Equal(3, list.Count);
        Assert.Equal([1u, 2u, 5u], list.Select(m => m.Uid));
        Assert.Equal(MaildirFlags.Flagged | MaildirFlags.Replied, list[1].Flags);
        Assert.Equal(["$Label1", "project"], list[1].Keywords);
        Assert.Empty(list[0].Keywords);
        Assert.Equal(12, list[^1].ModSeq);
    }

    [Fact]
    public void Replacing_and_removing_a_message_takes_its_keywords_along()
    {
        var list = new MessageStateList();
        for (uint uid = 1; uid <= 40; uid++)
        {
            list.Add(uid, MaildirFlags.None, uid);
        }

        list.SetKeywords(7, ["urgent"]);
        list.SetKeywords(8, ["later"]);
        list[6] = new MessageState(7, MaildirFlags.Seen, [], 100);
        list.RemoveAt(7);

        Assert.Equal(39, list.Count);
        Assert.Equal(new MessageState(7, MaildirFlags.Seen, [], 100) with { Keywords = list[6].Keywords }, list[6]);
        Assert.Empty(list[6].Keywords);
        Assert.Equal(9u, list[7].Uid);
        Assert.DoesNotContain(list, m => m.Keywords.Length > 0);
        list.TrimExcess();
        Assert.Equal(40u, list[^1].Uid);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[39]);
    }
}
