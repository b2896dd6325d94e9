using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class UidListFileTests
{
    private static readonly DotLockOptions Options = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public void A_missing_file_is_not_found()
    {
        using var temp = new TempDirectory();

        Assert.Equal(MaildirFailureKind.NotFound, UidListFile.Read(temp.Path).Failure!.Kind);
    }

    [Fact]
    public async Task Write_replaces_the_file_atomically_and_leaves_no_temp_files()
    {
        using var temp = new TempDirectory();
        var list = UidList.Create(1000, "0123456789abcdef0123456789abcdef").WithRecords([new UidListRecord(1, "m1,S=5,W=6")]).Value;

        using (var held = await UidListLock.AcquireAsync(temp.Path, Options, TimeProvider.System, CancellationToken.None))
        {
            await UidListFile.WriteAsync(held, list, CancellationToken.None);
            await UidListFile.WriteAsync(held, list.WithNextUid(7), CancellationToken.None);
        }

        Assert.Equal("3 V1000 N7 G0123456789abcdef0123456789abcdef\n1 :m1,S=5,W=6\n", File.ReadAllText(UidListFile.PathIn(temp.Path)));
        Assert.Equal(["dovecot-uidlist"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
        Assert.Equal(7u, UidListFile.Read(temp.Path).Value.NextUid);
    }

    [Fact]
    public async Task Add_appends_lines_like_Dovecot_when_uids_grow()
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(UidListFile.PathIn(temp.Path), "3 V9 N2 Gaa\n1 W20 :a\n");

        using var held = await UidListLock.AcquireAsync(temp.Path, Options, TimeProvider.System, CancellationToken.None);
        var result = await UidListFile.AddAsync(held, [new UidListRecord(3, "c"), new UidListRecord(2, "b")], CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal("3 V9 N2 Gaa\n1 W20 :a\n2 :b\n3 :c\n", File.ReadAllText(UidListFile.PathIn(temp.Path)));
        Assert.Equal(4u, UidListFile.Read(temp.Path).Value.NextUid);
    }

    [Theory]
    [InlineData("3 V9 N2 Gaa\n", "3 V9 N2 Gaa\n4 :d\n5 :e\n")]
    [InlineData("3 V9 N2 Gaa\n1 W20 :a\n3 :c\n", "3 V9 N2 Gaa\n1 W20 :a\n3 :c\n4 :d\n5 :e\n")]
    public async Task Append_reads_only_the_tail_and_appends_when_uids_grow(string before, string after)
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(UidListFile.PathIn(temp.Path), before);

        using var held = await UidListLock.AcquireAsync(temp.Path, Options, TimeProvider.System, CancellationToken.None);
        var appended = await UidListFile.AppendAsync(held, [new UidListRecord(5, "e"), new UidListRecord(4, "d")], CancellationToken.None);

        Assert.True(appended.Value);
        Assert.Equal(after, File.ReadAllText(UidListFile.PathIn(temp.Path)));
    }

    [Fact]
    public async Task Append_past_a_long_file_finds_the_last_uid_in_the_tail()
    {
        using var temp = new TempDirectory();
        var lines = string.Concat(Enumerable.Range(1, 2000).Where(i => i != 1500).Select(i => $"{i} :message-{i}\n"));
        await File.WriteAllTextAsync(UidListFile.PathIn(temp.Path), "3 V9 N1 Gaa\n" + lines);

        using var held = await UidListLock.AcquireAsync(temp.Path, Options, TimeProvider.System, CancellationToken.None);
        Assert.True((await UidListFile.AppendAsync(held, [new UidListRecord(2001, "new")], CancellationToken.None)).Value);
        Assert.False((await UidListFile.AppendAsync(held, [new UidListRecord(1500, "late")], CancellationToken.None)).Value);

        var list = UidListFile.Read(temp.Path).Value;
        Assert.Equal(Enumerable.Range(1, 2001).Select(i => (uint)i), list.Records.Select(r => r.Uid));
    }

    [Theory]
    [InlineData("3 V9 N1 Gaa\n1 :a\n11 :k\n", "3 V9 N12 Gaa\n1 :a\n10 :j\n11 :k\n")] // a lower UID committed late
    [InlineData("3 V9 N1 Gaa\n1 :a\n11 :k", "3 V9 N11 Gaa\n1 :a\n10 :j\n")] // a torn last line is dropped, as AddAsync does
    public async Task Append_falls_back_to_an_ordered_rewrite(string before, string after)
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(UidListFile.PathIn(temp.Path), before);

        using var held = await UidListLock.AcquireAsync(temp.Path, Options, TimeProvider.System, CancellationToken.None);
        var appended = await UidListFile.AppendAsync(held, [new UidListRecord(10, "j")], CancellationToken.None);

        Assert.False(appended.Value);
        Assert.Equal(after, File.ReadAllText(UidListFile.PathIn(temp.Path)));
    }

    [Fact]
    public async Task Add_rewrites_in_order_when_a_lower_uid_commits_late()
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(UidListFile.PathIn(temp.Path), "3 V9 N1 Gaa\n1 :a\n11 :k\n");

        using var held = await UidListLock.AcquireAsync(temp.Path, Options, TimeProvider.System, CancellationToken.None);
        await UidListFile.AddAsync(held, [new UidListRecord(10, "j")], CancellationToken.None);

        Assert.Equal("3 V9 N12 Gaa\n1 :a\n10 :j\n11 :k\n", File.ReadAllText(UidListFile.PathIn(temp.Path)));
    }

    [Fact]
    public async Task Add_repairs_a_torn_last_line_by_rewriting()
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(UidListFile.PathIn(temp.Path), "3 V9 N1 Gaa\n1 :a\n2 W");

        using var held = await UidListLock.AcquireAsync(temp.Path, Options, TimeProvider.System, CancellationToken.None);
        await UidListFile.AddAsync(held, [new UidListRecord(2, "b")], CancellationToken.None);

        Assert.Equal("3 V9 N3 Gaa\n1 :a\n2 :b\n", File.ReadAllText(UidListFile.PathIn(temp.Path)));
    }

    [Fact]
    public async Task Add_reports_missing_corrupt_and_conflicting_states()
    {
        using var temp = new TempDirectory();
        using var held = await UidListLock.AcquireAsync(temp.Path, Options, TimeProvider.System, CancellationToken.None);

        Assert.Equal(MaildirFailureKind.NotFound, (await UidListFile.AddAsync(held, [new UidListRecord(1, "a")], CancellationToken.None)).Failure!.Kind);

        await File.WriteAllTextAsync(UidListFile.PathIn(temp.Path), "3 V9 N1\n1 :a\n");
        Assert.Equal(MaildirFailureKind.Conflict, (await UidListFile.AddAsync(held, [new UidListRecord(1, "b")], CancellationToken.None)).Failure!.Kind);
        Assert.Equal(MaildirFailureKind.Conflict, (await UidListFile.AddAsync(held, [new UidListRecord(2, "a")], CancellationToken.None)).Failure!.Kind);

        await File.WriteAllTextAsync(UidListFile.PathIn(temp.Path), "9 garbage\n");
        Assert.Equal(MaildirFailureKind.InvalidFormat, (await UidListFile.AddAsync(held, [new UidListRecord(2, "b")], CancellationToken.None)).Failure!.Kind);
    }

    [Fact]
    public async Task Writing_needs_a_held_lock_for_that_folder()
    {
        using var temp = new TempDirectory();
        var held = await UidListLock.AcquireAsync(temp.Path, Options, TimeProvider.System, CancellationToken.None);
        held.Dispose();

        await Assert.ThrowsAsync<InvalidOperationException>(() => UidListFile.WriteAsync(held, UidList.Create(1), CancellationToken.None));
    }
}
