using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

/// <summary>Reads the tree Debian's Dovecot 2.3.19 wrote (see Fixtures/README.md) through every parser.</summary>
public class DovecotFixtureTests
{
    private static MailboxName Name(string imapName) => MailboxName.FromImap(imapName).Value;

    [Fact]
    public void Lists_Dovecots_folders_ignoring_its_index_files()
    {
        using var temp = new TempDirectory();
        var root = new MaildirRoot(temp.CopyDovecotFixture());

        var listing = root.ListFolders();

        Assert.Equal(["INBOX", "Archive/2025", "Entwürfe", "x/y/z"], listing.Folders.Select(f => f.Name.Name));
        Assert.Empty(listing.Skipped);
    }

    [Fact]
    public void Reads_Dovecots_inbox_uidlist_keywords_and_messages()
    {
        using var temp = new TempDirectory();
        var root = new MaildirRoot(temp.CopyDovecotFixture());

        var uidlist = UidListFile.Read(root.Path).Value;
        var keywords = KeywordsFile.Read(root.Path);
        var entries = root.Inbox.Scan();

        Assert.Equal(1795337829u, uidlist.UidValidity);
        Assert.Equal(5u, uidlist.NextUid);
        Assert.Equal("787e563a65ae026b591c000083ecc375", uidlist.MailboxGuid);
        Assert.Equal(["$Label1", "foo", "bar", "baz"], keywords.ByIndex.OfType<string>());

        // UID 1 was expunged by Dovecot but its line is still in the uidlist: the index must tolerate that.
        var byUid = uidlist.Records
            .Select(r => (r.Uid, Entry: entries.SingleOrDefault(e => e.BaseName == r.BaseName)))
            .ToDictionary(x => x.Uid, x => x.Entry);
        Assert.Null(byUid[1]);
        Assert.Equal(MaildirFlags.Flagged | MaildirFlags.Replied, byUid[2]!.Flags);
        Assert.Equal(["foo", "bar"], keywords.KeywordsOf(byUid[2]!.Name));
        Assert.Equal(28, byUid[2]!.VirtualSize);
        Assert.Equal(["baz"], keywords.KeywordsOf(byUid[3]!.Name));
        Assert.Equal(20, byUid[3]!.Size);              // no S= in the foreign name: stat size
        Assert.Equal(20, uidlist.FindByUid(3)!.VirtualSize); // Dovecot recorded W20 in the uidlist instead
        Assert.Equal(MaildirFlags.Seen, byUid[4]!.Flags);
        Assert.Equal(17, byUid[4]!.Size);
    }

    [Fact]
    public void Reads_Dovecots_subfolders_and_subscriptions()
    {
        using var temp = new TempDirectory();
        var root = new MaildirRoot(temp.CopyDovecotFixture());
        var archive = root.GetFolder(Name("Archive/2025")).Value;

        var uidlist = UidListFile.Read(archive.Path).Value;
        var message = Assert.Single(archive.Scan());
        var subscriptions = SubscriptionsFile.Read(root.Path);

        Assert.Equal(1795337830u, uidlist.UidValidity);
        Assert.Equal(message.BaseName, uidlist.FindByUid(1)!.BaseName);
        Assert.Equal(MaildirFlags.Draft, message.Flags);
        Assert.Equal([Name("Archive/2025"), Name("Entwürfe")], subscriptions.Names);
        Assert.True(File.Exists(Path.Combine(archive.Path, MaildirFolder.SubfolderMarkerFile)));
        Assert.Equal(1u, UidListFile.Read(root.GetFolder(Name("Entwürfe")).Value.Path).Value.NextUid);
    }

    [Fact]
    public void Our_writers_reproduce_Dovecots_files_byte_for_byte()
    {
        var fixture = TempDirectory.FixturePath(Path.Combine("dovecot-2.3.19", "Maildir"));
        foreach (var folder in new[] { fixture, Path.Combine(fixture, ".Entw&APw-rfe"), Path.Combine(fixture, ".x.y.z") })
        {
            var text = File.ReadAllText(UidListFile.PathIn(folder));
            Assert.Equal(text, UidList.Parse(text).Value.Format());
        }

        // Dovecot appended UID 1 to the Archive/2025 uidlist and left the header at N1: a rewrite states the real N2.
        var archive = File.ReadAllText(UidListFile.PathIn(Path.Combine(fixture, ".Archive.2025")));
        Assert.StartsWith("3 V1795337830 N1 ", archive, StringComparison.Ordinal);
        Assert.Equal(archive.Replace(" N1 ", " N2 ", StringComparison.Ordinal), UidList.Parse(archive).Value.Format());

        var keywords = File.ReadAllText(KeywordsFile.PathIn(fixture));
        Assert.Equal(keywords, MaildirKeywords.Parse(keywords).Format());
        var subscriptions = File.ReadAllText(SubscriptionsFile.PathIn(fixture));
        Assert.Equal(subscriptions, SubscriptionsFile.Format(SubscriptionsFile.Parse(subscriptions).Names));
    }

    [Fact]
    public async Task Delivering_into_Dovecots_inbox_continues_its_uids()
    {
        using var temp = new TempDirectory();
        var root = new MaildirRoot(temp.CopyDovecotFixture());
        var options = new DotLockOptions { Timeout = TimeSpan.FromSeconds(5) };

        await using var delivery = root.Inbox.BeginDelivery(new MaildirNameGenerator(TimeProvider.System, 1, "appliance"));
        await delivery.Body.WriteAsync("Subject: ours\r\n\r\nbody\r\n"u8.ToArray());
        var entry = await delivery.CommitAsync();
        using (var held = await UidListLock.AcquireAsync(root.Path, options, TimeProvider.System, CancellationToken.None))
        {
            var uid = UidListFile.Read(root.Path).Value.NextUid;
            var added = await UidListFile.AddAsync(held, [new UidListRecord(uid, entry.BaseName)], CancellationToken.None);
            Assert.True(added.Succeeded);
        }

        var text = File.ReadAllText(UidListFile.PathIn(root.Path));
        Assert.StartsWith("3 V1795337829 N5 G787e563a65ae026b591c000083ecc375\n", text, StringComparison.Ordinal);
        Assert.EndsWith($"4 W20 :1700000001.M1P2.h2,S=17\n5 :{entry.BaseName}\n", text, StringComparison.Ordinal);
    }
}
