using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Storage.Tests.Mailstore;

/// <summary>
/// STORE commits flags in the index and renames the maildir files afterwards (migration 0021): whatever stops the
/// renames, the committed flags reach the file names, and neither readers nor reconstruct ever lose them.
/// </summary>
public sealed class FlagSyncTests : IAsyncLifetime
{
    private MailstoreFixture _f = null!;

    public async Task InitializeAsync() => _f = await MailstoreFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private async Task<(MailUser User, MailboxInfo Inbox, MailStore Crashing)> StoredButNotRenamedAsync(string local)
    {
        var user = await _f.UserAsync($"{local}@example.test");
        for (var i = 0; i < 3; i++)
        {
            await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("m" + i)), CancellationToken.None);
        }

        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        var crashing = _f.NewStore();
        crashing.FlagSyncSuspended = true; // the process dies right after the commit
        await crashing.StoreFlagsAsync(user, inbox, [1, 2], FlagMode.Add, MaildirFlags.Seen, [], null, CancellationToken.None);
        await crashing.StoreFlagsAsync(user, inbox, [2], FlagMode.Add, MaildirFlags.Flagged, ["$Work"], null, CancellationToken.None);
        return (user, inbox, crashing);
    }

    private string[] FileNames(MailUser user) =>
        [.. Directory.GetFiles(_f.Store.RootOf(user).Inbox.CurPath).Concat(Directory.GetFiles(_f.Store.RootOf(user).Inbox.NewPath)).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private async Task<long> MarksAsync()
    {
        await using var command = _f.DataSource.CreateCommand("SELECT count(*) FROM maildir_flag_sync");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task The_index_answers_at_once_and_readers_find_files_whose_names_lag()
    {
        var (_, inbox, crashing) = await StoredButNotRenamedAsync("lag");
        var rows = await crashing.ListMessagesAsync(inbox, CancellationToken.None);
        Assert.Equal([MaildirFlags.Seen, MaildirFlags.Seen | MaildirFlags.Flagged, MaildirFlags.None], rows.Select(r => r.Flags));
        Assert.Equal(1, await MarksAsync());
        Assert.All(rows, r => Assert.NotNull(crashing.OpenMessage(inbox, r)));
    }

    [Fact]
    public async Task The_renames_never_wait_for_rows_a_store_holds_and_leave_them_and_the_mark_for_the_next_round()
    {
        var (user, inbox, _) = await StoredButNotRenamedAsync("held");

        // A STORE in progress holds message 1's row (an open transaction that changed it). The renames must not
        // wait for it: the STORE may be waiting for rows they hold, in another order (a deadlock PostgreSQL breaks
        // after a second, sometimes by failing the STORE).
        await using var connection = await _f.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("UPDATE messages SET modseq = modseq WHERE mailbox_id = $1 AND uid = 1", connection, transaction))
        {
            hold.Parameters.AddWithValue(inbox.Id);
            await hold.ExecuteNonQueryAsync();
        }

        await _f.NewStore().SyncMaildirFlagsAsync(inbox.Id, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        // Message 2 is renamed and its row knows; message 1 is untouched, file and row alike, and the mark stays.
        Assert.Equal(1, await MarksAsync());
        var names = FileNames(user);
        Assert.Equal(0, names.Count(n => n.EndsWith(":2,S", StringComparison.Ordinal)));
        Assert.Equal(1, names.Count(n => n.EndsWith(":2,FSa", StringComparison.Ordinal)));
        var rows = await _f.Store.ListMessagesAsync(inbox, CancellationToken.None);
        Assert.All(rows, r => Assert.True(File.Exists(Path.Combine(inbox.FolderPath, r.FileName)), r.FileName));
        await transaction.RollbackAsync();

        // The next round (the holder's, or the sweep) finishes: every name level with its row, the mark gone.
        await _f.NewStore().SyncAllMaildirFlagsAsync(CancellationToken.None);
        Assert.Equal(0, await MarksAsync());
        rows = await _f.Store.ListMessagesAsync(inbox, CancellationToken.None);
        Assert.All(rows, r => Assert.True(File.Exists(Path.Combine(inbox.FolderPath, r.FileName)), r.FileName));
        Assert.EndsWith(":2,S", rows[0].FileName, StringComparison.Ordinal);
        Assert.EndsWith(":2,FSa", rows[1].FileName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_recorded_before_a_power_loss_took_its_rename_is_not_trusted_the_file_is_renamed_again()
    {
        var (user, inbox, _) = await StoredButNotRenamedAsync("powerloss");

        // A round renamed message 1's file and recorded the name; the power went before the folder was synced, so
        // the disk lost the rename but PostgreSQL kept the name (and the mark).
        var lost = (await _f.Store.ListMessagesAsync(inbox, CancellationToken.None))[0];
        var recorded = MaildirFolder.CurDirectory + "/" + MaildirFileName.Parse(Path.GetFileName(lost.FileName)).Value.WithFlags(MaildirFlags.Seen, []).FullName;
        await using (var command = _f.DataSource.CreateCommand("UPDATE messages SET file_name = $1 WHERE mailbox_id = $2 AND uid = 1"))
        {
            command.Parameters.AddWithValue(recorded);
            command.Parameters.AddWithValue(inbox.Id);
            await command.ExecuteNonQueryAsync();
        }

        Assert.False(File.Exists(Path.Combine(inbox.FolderPath, recorded)));
        await _f.NewStore().RecoverAsync(CancellationToken.None);

        Assert.Equal(0, await MarksAsync());
        var rows = await _f.Store.ListMessagesAsync(inbox, CancellationToken.None);
        Assert.All(rows, r => Assert.True(File.Exists(Path.Combine(inbox.FolderPath, r.FileName)), r.FileName));
        Assert.Equal(1, FileNames(user).Count(n => n.EndsWith(":2,S", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Recovery_after_a_crash_renames_the_files_and_clears_the_mark()
    {
        var (user, inbox, _) = await StoredButNotRenamedAsync("crash");
        Assert.DoesNotContain(FileNames(user), n => n.EndsWith(":2,S", StringComparison.Ordinal));

        await _f.NewStore().RecoverAsync(CancellationToken.None);

        var names = FileNames(user);
        Assert.Equal(1, names.Count(n => n.EndsWith(":2,S", StringComparison.Ordinal)));
        Assert.Equal(1, names.Count(n => n.EndsWith(":2,FSa", StringComparison.Ordinal)));
        Assert.Equal(0, await MarksAsync());
        var rows = await _f.Store.ListMessagesAsync(inbox, CancellationToken.None);
        Assert.All(rows, r => Assert.True(File.Exists(Path.Combine(inbox.FolderPath, r.FileName)), r.FileName));
    }

    [Fact]
    public async Task Reconstruct_renames_first_and_so_keeps_the_committed_flags()
    {
        var (user, inbox, _) = await StoredButNotRenamedAsync("rebuild");

        // Reconstruct takes flags from file names: had it read them before the renames, the STOREs would be undone.
        await _f.NewStore().ReconstructUserAsync(user, null, CancellationToken.None);

        var rows = await _f.Store.ListMessagesAsync(inbox, CancellationToken.None);
        Assert.Equal([MaildirFlags.Seen, MaildirFlags.Seen | MaildirFlags.Flagged, MaildirFlags.None], rows.Select(r => r.Flags));
        Assert.Equal(["$Work"], rows[1].Keywords);
        Assert.Equal(0, await MarksAsync());
    }

    [Fact]
    public async Task A_later_store_moves_the_mark_and_one_sync_renames_for_both()
    {
        var (user, inbox, crashing) = await StoredButNotRenamedAsync("race");
        await using (var command = _f.DataSource.CreateCommand("SELECT to_modseq FROM maildir_flag_sync"))
        {
            Assert.NotNull(await command.ExecuteScalarAsync());
        }

        // A later STORE moves the end of the mark; the sync takes every change since its start.
        await crashing.StoreFlagsAsync(user, inbox, [3], FlagMode.Add, MaildirFlags.Replied, [], null, CancellationToken.None);
        await _f.NewStore().SyncMaildirFlagsAsync(inbox.Id, CancellationToken.None);

        Assert.Equal(0, await MarksAsync());
        Assert.Contains(FileNames(user), n => n.EndsWith(":2,R", StringComparison.Ordinal));
    }
}
