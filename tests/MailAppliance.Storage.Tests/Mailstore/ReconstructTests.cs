using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Mailstore;

public sealed class ReconstructTests : IAsyncLifetime
{
    private MailstoreFixture _f = null!;

    public async Task InitializeAsync() => _f = await MailstoreFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private async Task<List<(string Mailbox, uint UidValidity, uint Uid, string Base, int Flags, string Keywords, long Size)>> SnapshotAsync(MailUser user)
    {
        var rows = new List<(string, uint, uint, string, int, string, long)>();
        foreach (var mailbox in await _f.Store.ListMailboxesAsync(user, CancellationToken.None))
        {
            foreach (var m in await _f.Store.ListMessagesAsync(mailbox, CancellationToken.None))
            {
                rows.Add((mailbox.Name.Name, mailbox.UidValidity, m.Uid, m.BaseName, (int)m.Flags, string.Join(' ', m.Keywords.Order()), m.CrlfSize));
            }
        }

        return rows;
    }

    private async Task<List<string>> SubscriptionsAsync(MailUser user)
    {
        var names = new List<string>();
        await using var command = _f.DataSource.CreateCommand("SELECT name FROM subscriptions WHERE user_id = $1 ORDER BY name");
        command.Parameters.AddWithValue(user.Id);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    [Fact]
    public async Task Dropping_the_index_and_reconstructing_gives_identical_uidvalidity_uids_flags_keywords_and_subscriptions()
    {
        var user = await _f.UserAsync("zoe@example.test");
        for (var i = 0; i < 5; i++)
        {
            await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message($"m{i}")), CancellationToken.None);
        }

        var archive = MailboxName.FromImap("Archive/2025").Value;
        await _f.Store.DeliverAsync(new DeliveryRequest(user, archive) { Flags = MaildirFlags.Seen | MaildirFlags.Flagged, Keywords = ["$Label1", "work"] },
            new MemoryStream(MailstoreFixture.Message("archived")), CancellationToken.None);
        await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.FromImap("Entwürfe").Value) { Flags = MaildirFlags.Draft },
            new MemoryStream(MailstoreFixture.Message("draft")), CancellationToken.None);
        await SubscriptionsFile.SetSubscribedAsync(_f.Store.RootOf(user).Path, archive, true, new DotLockOptions(), TimeProvider.System, CancellationToken.None);
        await _f.Store.ReconstructUserAsync(user, null, CancellationToken.None); // picks up the subscription
        var before = await SnapshotAsync(user);
        var subscriptionsBefore = await SubscriptionsAsync(user);

        // The database is lost.
        await using (var drop = _f.DataSource.CreateCommand("DELETE FROM mailboxes; DELETE FROM subscriptions; DELETE FROM quota_usage;"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        var progress = new List<ReconstructProgress>();
        var report = await _f.NewStore().ReconstructUserAsync(user, new SyncProgress(progress), CancellationToken.None);

        Assert.Equal(before, await SnapshotAsync(user));
        Assert.Equal(subscriptionsBefore, await SubscriptionsAsync(user));
        Assert.Contains("Archive/2025", subscriptionsBefore);
        Assert.Equal(7, report.Messages);
        Assert.Equal(0, report.NewUids);
        Assert.Equal(7, report.Parsed);
        Assert.Equal(report.Folders, progress[^1].FoldersDone);
        Assert.Contains(before, r => r.Mailbox == "Archive/2025" && r.Keywords == "$Label1 work" && r.Flags == (int)(MaildirFlags.Seen | MaildirFlags.Flagged));

        // And delivery continues above the old UIDs.
        var next = await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("after")), CancellationToken.None);
        Assert.Equal(6u, next.Uid);
        Assert.Equal(before.First(r => r.Mailbox == "INBOX").UidValidity, next.UidValidity);
    }

    [Fact]
    public async Task Files_missing_from_the_uidlist_get_new_uids_above_the_highest_and_gone_files_are_dropped()
    {
        var user = await _f.UserAsync("yan@example.test");
        for (var i = 0; i < 3; i++)
        {
            await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message($"m{i}")), CancellationToken.None);
        }

        var root = _f.Store.RootOf(user);
        var first = UidListFile.Read(root.Inbox.Path).Value.FindByUid(1)!;
        File.Delete(Path.Combine(root.Inbox.NewPath, first.BaseName)); // UID 1 gone behind our back
        await File.WriteAllTextAsync(Path.Combine(root.Inbox.NewPath, "1800000000.M5P5.elsewhere"), "Subject: dropped in\r\n\r\nhi\r\n");

        var report = await _f.Store.ReconstructUserAsync(user, null, CancellationToken.None);
        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        var uids = (await _f.Store.ListMessagesAsync(inbox, CancellationToken.None)).Select(m => m.Uid).ToList();
        Assert.Equal([2u, 3u, 4u], uids);
        Assert.Equal(1, report.NewUids);
        Assert.Equal([2u, 3u, 4u], UidListFile.Read(root.Inbox.Path).Value.Records.Select(r => r.Uid));
        Assert.Equal(5u, inbox.UidNext);
    }

    [Fact]
    public async Task A_maildir_written_by_dovecot_is_adopted_with_its_uids_flags_keywords_and_subscriptions()
    {
        var user = await _f.UserAsync("dove@example.test");
        var root = _f.Store.RootOf(user);
        CopyTree(MailAppliance.Storage.Tests.Maildir.TempDirectory.FixturePath(Path.Combine("dovecot-2.3.19", "Maildir"), Path.Combine(SourceDirectory(), "..", "Maildir", "x.cs")), root.Path);
        var fixture = UidListFile.Read(root.Inbox.Path).Value;

        await _f.Store.EnsureUserAsync(user, CancellationToken.None);

        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        Assert.Equal(fixture.UidValidity, inbox.UidValidity);
        var messages = await _f.Store.ListMessagesAsync(inbox, CancellationToken.None);
        var onDisk = fixture.Records.Where(r => new MaildirFolder(root.Inbox.Path).Find(r.BaseName) is not null).ToList();
        Assert.Equal(onDisk.Select(r => (r.Uid, r.BaseName)), messages.Select(m => (m.Uid, m.BaseName)));
        var flagged = messages.Single(m => m.BaseName.StartsWith("1795337829.M986187P7257", StringComparison.Ordinal));
        Assert.True(flagged.Flags.HasFlag(MaildirFlags.Flagged) && flagged.Flags.HasFlag(MaildirFlags.Replied));
        Assert.Equal(["bar", "foo"], flagged.Keywords.Order());

        var names = (await _f.Store.ListMailboxesAsync(user, CancellationToken.None)).Select(m => m.Name.Name).ToList();
        Assert.Contains("Archive/2025", names);
        Assert.Contains("Entwürfe", names);
        Assert.Contains("x/y/z", names);
        var archive = (await _f.Store.FindMailboxAsync(user, MailboxName.FromImap("Archive/2025").Value, CancellationToken.None))!;
        Assert.Equal(UidListFile.Read(archive.FolderPath).Value.UidValidity, archive.UidValidity);

        // New mail continues Dovecot's numbering.
        var next = await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("new")), CancellationToken.None);
        Assert.Equal(fixture.NextUid, next.Uid);
    }

    [Fact]
    public async Task A_mailbox_behind_the_tree_is_brought_up_to_date_and_a_current_one_is_left_alone()
    {
        var user = await _f.UserAsync("lda@example.test");
        await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("ours")), CancellationToken.None);
        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        Assert.False(await _f.Store.RefreshIfBehindAsync(user, inbox, CancellationToken.None));

        // Another program (an LDA, Dovecot) drops a message into new/.
        await File.WriteAllTextAsync(Path.Combine(inbox.FolderPath, "new", "1800000001.M7P7.otherlda"), "Subject: from elsewhere\r\n\r\nbody\r\n");
        Directory.SetLastWriteTimeUtc(Path.Combine(inbox.FolderPath, "new"), DateTime.UtcNow.AddSeconds(5));

        Assert.True(await _f.Store.RefreshIfBehindAsync(user, inbox, CancellationToken.None));
        var messages = await _f.Store.ListMessagesAsync(inbox, CancellationToken.None);
        Assert.Equal([1u, 2u], messages.Select(m => m.Uid));
        Assert.False(await _f.Store.RefreshIfBehindAsync(user, inbox, CancellationToken.None));
    }

    [Fact]
    public async Task A_file_dropped_while_a_delivery_finishes_is_still_found()
    {
        var user = await _f.UserAsync("race@example.test");
        await _f.Store.EnsureUserAsync(user, CancellationToken.None);
        var store = _f.NewStore();
        var inboxPath = store.RootOf(user).Inbox.Path;

        // Another program drops a message into new/ in the last moments of our delivery.
        store.FaultInjection = async step =>
        {
            if (step == DeliveryStep.Listed)
            {
                await File.WriteAllTextAsync(Path.Combine(inboxPath, "new", "1800000002.M9P9.otherlda"), "Subject: raced\r\n\r\nbody\r\n");
            }
        };
        await store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("ours")), CancellationToken.None);

        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        Assert.True(await _f.Store.RefreshIfBehindAsync(user, inbox, CancellationToken.None));
        Assert.Equal([1u, 2u], (await _f.Store.ListMessagesAsync(inbox, CancellationToken.None)).Select(m => m.Uid));
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            File.Copy(file, target);
            File.SetLastWriteTimeUtc(target, File.GetLastWriteTimeUtc(file));
        }
    }

    private sealed class SyncProgress(List<ReconstructProgress> sink) : IProgress<ReconstructProgress>
    {
        public void Report(ReconstructProgress value) => sink.Add(value);
    }
}
