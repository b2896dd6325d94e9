using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Mailstore;

public sealed class MailboxOperationsTests : IAsyncLifetime
{
    private MailstoreFixture _f = null!;
    private MailUser _user = null!;

    public async Task InitializeAsync()
    {
        _f = await MailstoreFixture.CreateAsync();
        _user = await _f.UserAsync("ops@example.test");
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static MailboxName N(string name) => MailboxName.FromImap(name).Value;

    private async Task<MailboxInfo> Box(string name) => (await _f.Store.FindMailboxAsync(_user, N(name), CancellationToken.None))!;

    private async Task<uint> Put(string mailbox, string subject = "m") =>
        (await _f.Store.DeliverAsync(new DeliveryRequest(_user, N(mailbox)), new MemoryStream(MailstoreFixture.Message(subject)), CancellationToken.None)).Uid;

    [Fact]
    public async Task A_new_user_has_inbox_and_the_special_use_folders_subscribed()
    {
        var names = (await _f.Store.ListMailboxesAsync(_user, CancellationToken.None)).Select(m => m.Name.Name).Order().ToList();
        Assert.Equal(["Drafts", "INBOX", "Junk", "Sent", "Trash"], names);
        Assert.Equal(["Drafts", "Junk", "Sent", "Trash"], (await _f.Store.ListSubscriptionsAsync(_user, CancellationToken.None)).Select(n => n.Name).Order());
    }

    [Fact]
    public async Task Create_makes_missing_parents_and_refuses_duplicates()
    {
        await _f.Store.CreateMailboxAsync(_user, N("Projects/2026/Q1"), CancellationToken.None);
        var names = (await _f.Store.ListMailboxesAsync(_user, CancellationToken.None)).Select(m => m.Name.Name).ToList();
        Assert.Contains("Projects", names);
        Assert.Contains("Projects/2026", names);
        Assert.True(Directory.Exists(Path.Combine(_f.Store.RootOf(_user).Path, ".Projects.2026.Q1", "cur")));
        var error = await Assert.ThrowsAsync<MailstoreException>(() => _f.Store.CreateMailboxAsync(_user, N("Projects/2026"), CancellationToken.None));
        Assert.Equal(MailstoreError.MailboxExists, error.Error);
    }

    [Theory]
    [InlineData("a/../../etc")]
    [InlineData("..")]
    [InlineData("a.b")]
    [InlineData("a//b")]
    [InlineData("bad\u0001name")]
    public void Hostile_names_are_refused_before_they_reach_the_disk(string name)
    {
        Assert.False(MailboxName.FromImap(name).Succeeded);
    }

    [Fact]
    public async Task Rename_keeps_uidvalidity_and_uids_of_the_mailbox_and_its_children()
    {
        await _f.Store.CreateMailboxAsync(_user, N("Old/Child"), CancellationToken.None);
        await Put("Old", "parent mail");
        await Put("Old/Child", "child 1");
        await Put("Old/Child", "child 2");
        await _f.Store.SetSubscribedAsync(_user, N("Old/Child"), true, CancellationToken.None);
        var before = (await Box("Old"), await Box("Old/Child"));

        await _f.Store.RenameMailboxAsync(_user, N("Old"), N("New/Place"), CancellationToken.None);

        Assert.Null(await _f.Store.FindMailboxAsync(_user, N("Old"), CancellationToken.None));
        var parent = await Box("New/Place");
        var child = await Box("New/Place/Child");
        Assert.Equal(before.Item1.UidValidity, parent.UidValidity);
        Assert.Equal(before.Item2.UidValidity, child.UidValidity);
        Assert.Equal([1u, 2u], (await _f.Store.ListMessagesAsync(child, CancellationToken.None)).Select(m => m.Uid));
        Assert.True(Directory.Exists(Path.Combine(_f.Store.RootOf(_user).Path, ".New.Place.Child")));
        Assert.Contains("New/Place/Child", (await _f.Store.ListSubscriptionsAsync(_user, CancellationToken.None)).Select(n => n.Name));
        Assert.Equal(3u, await Put("New/Place/Child"));

        // What the tree says after the rename is what reconstruct finds.
        await _f.Store.ReconstructUserAsync(_user, null, CancellationToken.None);
        Assert.Equal(before.Item2.UidValidity, (await Box("New/Place/Child")).UidValidity);
    }

    [Fact]
    public async Task Renaming_inbox_moves_its_messages_and_leaves_it_empty()
    {
        await Put("INBOX", "one");
        await Put("INBOX", "two");
        await _f.Store.RenameMailboxAsync(_user, MailboxName.Inbox, N("Old Inbox"), CancellationToken.None);
        Assert.Empty(await _f.Store.ListMessagesAsync(await Box("INBOX"), CancellationToken.None));
        Assert.Equal(2, (await _f.Store.ListMessagesAsync(await Box("Old Inbox"), CancellationToken.None)).Count);
        Assert.Equal(3u, await Put("INBOX", "three")); // INBOX keeps counting: UIDs are never reused
    }

    [Fact]
    public async Task Delete_removes_the_folder_and_credits_the_quota_but_not_with_children_or_inbox()
    {
        await _f.Store.CreateMailboxAsync(_user, N("Parent/Kid"), CancellationToken.None);
        await Put("Parent/Kid");
        Assert.Equal(MailstoreError.MailboxExists, (await Assert.ThrowsAsync<MailstoreException>(() => _f.Store.DeleteMailboxAsync(_user, N("Parent"), CancellationToken.None))).Error);
        Assert.Equal(MailstoreError.InvalidName, (await Assert.ThrowsAsync<MailstoreException>(() => _f.Store.DeleteMailboxAsync(_user, MailboxName.Inbox, CancellationToken.None))).Error);

        await _f.Store.DeleteMailboxAsync(_user, N("Parent/Kid"), CancellationToken.None);
        Assert.Null(await _f.Store.FindMailboxAsync(_user, N("Parent/Kid"), CancellationToken.None));
        Assert.False(Directory.Exists(Path.Combine(_f.Store.RootOf(_user).Path, ".Parent.Kid")));
        Assert.Empty(Directory.GetDirectories(_f.Store.RootOf(_user).Inbox.TmpPath));
        Assert.Equal(0L, await UsageAsync());
        Assert.Equal(MailstoreError.NoSuchMailbox, (await Assert.ThrowsAsync<MailstoreException>(() => _f.Store.DeleteMailboxAsync(_user, N("Parent/Kid"), CancellationToken.None))).Error);
    }

    [Fact]
    public async Task Flags_change_the_index_and_the_modseq_and_then_the_file_name()
    {
        var uid = await Put("INBOX");
        var inbox = await Box("INBOX");
        var result = await _f.Store.StoreFlagsAsync(_user, inbox, [uid], FlagMode.Add, MaildirFlags.Seen | MaildirFlags.Flagged, ["$Important"], null, CancellationToken.None);
        await _f.Store.FlagSyncsIdleAsync();

        var change = Assert.Single(result.Changed);
        Assert.True(change.ModSeq > inbox.HighestModSeq);
        var row = Assert.Single(await _f.Store.ListMessagesAsync(inbox, CancellationToken.None));
        Assert.Equal(MaildirFlags.Seen | MaildirFlags.Flagged, row.Flags);
        Assert.Equal(["$Important"], row.Keywords);
        var file = Assert.Single(Directory.GetFiles(_f.Store.RootOf(_user).Inbox.CurPath));
        Assert.EndsWith(":2,FSa", file, StringComparison.Ordinal);
        Assert.Equal("0 $Important", (await File.ReadAllTextAsync(Path.Combine(inbox.FolderPath, "dovecot-keywords"))).Trim());

        var removed = await _f.Store.StoreFlagsAsync(_user, inbox, [uid], FlagMode.Remove, MaildirFlags.Flagged, ["$important"], null, CancellationToken.None);
        Assert.Equal(MaildirFlags.Seen, Assert.Single(removed.Changed).Flags);
        await _f.Store.FlagSyncsIdleAsync();
        Assert.EndsWith(":2,S", Assert.Single(Directory.GetFiles(_f.Store.RootOf(_user).Inbox.CurPath)), StringComparison.Ordinal);

        // UNCHANGEDSINCE below the message's modseq refuses the change.
        var refused = await _f.Store.StoreFlagsAsync(_user, inbox, [uid], FlagMode.Replace, MaildirFlags.None, [], unchangedSince: 1, CancellationToken.None);
        Assert.Equal([uid], refused.Modified);
        Assert.Empty(refused.Changed);
    }

    [Fact]
    public async Task A_store_or_fetch_of_a_dense_set_with_holes_touches_exactly_the_uids_it_names()
    {
        var inbox = await Box("INBOX");
        for (var i = 0; i < 100; i++)
        {
            await Put("INBOX");
        }

        // 1:100 without 7 and 50 is read as a range (a UID set as large is), and the two holes are skipped.
        var named = Enumerable.Range(1, 100).Select(i => (uint)i).Where(u => u is not (7 or 50)).ToList();
        Assert.Contains("BETWEEN", UidCondition.For(named).Sql("uid", 2));
        var stored = await _f.Store.StoreFlagsAsync(_user, inbox, named, FlagMode.Add, MaildirFlags.Flagged, [], null, CancellationToken.None);
        Assert.Equal(named, stored.Changed.Select(c => c.Uid).Order());
        var records = await _f.Store.FetchRecordsAsync(inbox, named, MessageViews.None, CancellationToken.None);
        Assert.Equal(named, records.Select(r => r.Info.Uid));
        var all = await _f.Store.FetchRecordsAsync(inbox, Enumerable.Range(1, 100).Select(i => (uint)i).ToList(), MessageViews.None, CancellationToken.None);
        Assert.Equal([7u, 50u], all.Where(r => (r.Info.Flags & MaildirFlags.Flagged) == 0).Select(r => r.Info.Uid));

        // A set spread thin is asked element by element.
        var sparse = Enumerable.Range(0, 70).Select(i => (uint)(1 + i * 3)).Where(u => u is <= 100 and not 7).ToList(); // 7 had no flag
        var spread = Enumerable.Range(0, 70).Select(i => (uint)(1 + i * 3)).ToList();
        Assert.Contains("ANY", UidCondition.For(spread).Sql("uid", 2));
        var removed = await _f.Store.StoreFlagsAsync(_user, inbox, spread, FlagMode.Remove, MaildirFlags.Flagged, [], null, CancellationToken.None);
        Assert.Equal(sparse, removed.Changed.Select(c => c.Uid).Order());

        // Flags alone on an exact set are changed in place (one UPDATE): the same answers, only changed rows written.
        await _f.Store.StoreFlagsAsync(_user, inbox, [9], FlagMode.Add, MaildirFlags.None, ["work"], null, CancellationToken.None);
        var whole = Enumerable.Range(1, 100).Select(i => (uint)i).ToList();
        var replaced = await _f.Store.StoreFlagsAsync(_user, inbox, whole, FlagMode.Replace, MaildirFlags.Seen, [], null, CancellationToken.None);
        Assert.Equal(whole, replaced.Changed.Select(c => c.Uid));
        Assert.All(replaced.Changed, c => Assert.Equal((MaildirFlags.Seen, 0), (c.Flags, c.Keywords.Count)));
        var cleared = await _f.Store.StoreFlagsAsync(_user, inbox, [5, 3], FlagMode.Remove, MaildirFlags.Seen, [], null, CancellationToken.None);
        Assert.Equal([3u, 5u], cleared.Changed.Select(c => c.Uid));
        var again = await _f.Store.StoreFlagsAsync(_user, inbox, whole, FlagMode.Add, MaildirFlags.Seen | MaildirFlags.Replied, [], null, CancellationToken.None);
        Assert.Equal(whole, again.Changed.Select(c => c.Uid));
        Assert.Empty((await _f.Store.StoreFlagsAsync(_user, inbox, whole, FlagMode.Add, MaildirFlags.Seen, [], null, CancellationToken.None)).Changed);
        var state = await _f.Store.FetchRecordsAsync(inbox, [3, 9, 10], MessageViews.None, CancellationToken.None);
        Assert.All(state, r => Assert.Equal(MaildirFlags.Seen | MaildirFlags.Replied, r.Info.Flags));
        Assert.Empty(state.Single(r => r.Info.Uid == 9).Info.Keywords);
        Assert.All(again.Changed, c => Assert.Equal(again.Changed[0].ModSeq, c.ModSeq));
        Assert.True(again.Changed[0].ModSeq > replaced.Changed[0].ModSeq);
    }

    [Fact]
    public async Task Expunge_removes_files_rows_and_uidlist_lines_and_records_the_modseq()
    {
        var first = await Put("INBOX");
        var second = await Put("INBOX");
        var inbox = await Box("INBOX");
        var removed = await _f.Store.ExpungeAsync(_user, inbox, [first], CancellationToken.None);

        Assert.Equal([first], removed);
        Assert.Equal([second], (await _f.Store.ListMessagesAsync(inbox, CancellationToken.None)).Select(m => m.Uid));
        Assert.Single(Directory.GetFiles(inbox.FolderPath + "/new"));
        var list = UidListFile.Read(inbox.FolderPath).Value;
        Assert.Equal([second], list.Records.Select(r => r.Uid));
        Assert.Equal(3u, list.NextUid);
        await using var expunged = _f.DataSource.CreateCommand("SELECT uid FROM expunged WHERE mailbox_id = $1");
        expunged.Parameters.AddWithValue(inbox.Id);
        Assert.Equal((long)first, await expunged.ExecuteScalarAsync());

        // Reconstruct does not bring it back.
        await _f.Store.ReconstructUserAsync(_user, null, CancellationToken.None);
        Assert.Equal([second], (await _f.Store.ListMessagesAsync(await Box("INBOX"), CancellationToken.None)).Select(m => m.Uid));
    }

    [Fact]
    public async Task Copy_and_move_give_new_uids_in_order_keep_flags_and_charge_the_quota()
    {
        var a = await Put("INBOX", "a");
        var b = await Put("INBOX", "b");
        var inbox = await Box("INBOX");
        await _f.Store.StoreFlagsAsync(_user, inbox, [b], FlagMode.Add, MaildirFlags.Seen, ["work"], null, CancellationToken.None);
        var archive = await _f.Store.CreateMailboxAsync(_user, N("Archive"), CancellationToken.None);
        var usage = await UsageAsync();

        var copy = await _f.Store.CopyMessagesAsync(_user, inbox, [b, a], archive, move: false, CancellationToken.None);
        Assert.Equal(archive.UidValidity, copy.UidValidity);
        Assert.Equal([a, b], copy.SourceUids);
        Assert.Equal([1u, 2u], copy.TargetUids);
        Assert.Equal(usage * 2, await UsageAsync());
        var copied = await _f.Store.ListMessagesAsync(await Box("Archive"), CancellationToken.None);
        Assert.Equal(MaildirFlags.Seen, copied[1].Flags);
        Assert.Equal(["work"], copied[1].Keywords);
        Assert.All(copied, m => Assert.NotNull(_f.Store.OpenMessage(archive, m)));

        var moved = await _f.Store.CopyMessagesAsync(_user, inbox, [a], await Box("Trash"), move: true, CancellationToken.None);
        Assert.Equal([1u], moved.TargetUids);
        Assert.Equal([b], (await _f.Store.ListMessagesAsync(await Box("INBOX"), CancellationToken.None)).Select(m => m.Uid));
        Assert.Equal(usage * 2, await UsageAsync());
    }

    [Fact]
    public async Task Append_keeps_flags_keywords_and_internal_date()
    {
        var date = new DateTimeOffset(2024, 1, 1, 10, 0, 0, TimeSpan.Zero);
        var result = await _f.Store.AppendAsync(_user, N("Sent"), new MemoryStream(MailstoreFixture.Message("sent")), MaildirFlags.Seen, ["$Sent"], date, CancellationToken.None);
        var row = Assert.Single(await _f.Store.ListMessagesAsync(await Box("Sent"), CancellationToken.None));
        Assert.Equal(result.Uid, row.Uid);
        Assert.Equal(date, row.InternalDate);
        Assert.Equal(MaildirFlags.Seen, row.Flags);
        Assert.Contains(":2,Sa", row.FileName, StringComparison.Ordinal);
    }

    private async Task<long> UsageAsync()
    {
        await using var command = _f.DataSource.CreateCommand("SELECT bytes FROM quota_usage WHERE user_id = $1");
        command.Parameters.AddWithValue(_user.Id);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
