using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class MaildirFolderTests
{
    [Fact]
    public void Create_makes_cur_new_tmp_and_the_subfolder_marker()
    {
        using var temp = new TempDirectory();

        var folder = MaildirFolder.Create(temp.Combine(".Archive"), isSubfolder: true);
        var root = MaildirFolder.Create(temp.Combine("root"), isSubfolder: false);

        Assert.True(folder.Exists);
        Assert.True(File.Exists(temp.Combine(".Archive", "maildirfolder")));
        Assert.Equal(0, new FileInfo(temp.Combine(".Archive", "maildirfolder")).Length);
        Assert.True(root.Exists);
        Assert.False(File.Exists(temp.Combine("root", "maildirfolder")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder.CurPath));
        }

        MaildirFolder.Create(folder.Path, isSubfolder: true); // idempotent
    }

    [Fact]
    public void Scan_reports_name_flags_size_and_mtime()
    {
        using var temp = new TempDirectory();
        var folder = MaildirFolder.Create(temp.Path, isSubfolder: false);
        var internalDate = new DateTime(2024, 1, 1, 10, 0, 0, DateTimeKind.Utc);
        Write(folder.CurPath, "1.M1P1.h,S=19,W=22:2,STa", 19, internalDate);
        Write(folder.NewPath, "2.foreign.host", 7, internalDate);
        Write(folder.CurPath, ".hidden", 1, internalDate);
        Write(folder.TmpPath, "3.M3P3.h", 5, internalDate);

        var entries = folder.Scan();

        Assert.Equal(["1.M1P1.h,S=19,W=22", "2.foreign.host"], entries.Select(e => e.BaseName));
        Assert.Equal(MaildirFlags.Seen | MaildirFlags.Trashed, entries[0].Flags);
        Assert.Equal([0], entries[0].Name.KeywordIndexes);
        Assert.Equal(19, entries[0].Size);
        Assert.Equal(22, entries[0].VirtualSize);
        Assert.False(entries[0].IsNew);
        Assert.True(entries[1].IsNew);
        Assert.Equal(7, entries[1].Size); // no S=: the file size
        Assert.Null(entries[1].VirtualSize);
        Assert.All(entries, e => Assert.Equal(internalDate, e.InternalDate.UtcDateTime));
    }

    [Fact]
    public void Scan_prefers_cur_when_a_message_is_seen_in_both_directories()
    {
        using var temp = new TempDirectory();
        var folder = MaildirFolder.Create(temp.Path, isSubfolder: false);
        Write(folder.NewPath, "1.M1P1.h,S=1", 1, DateTime.UtcNow);
        Write(folder.CurPath, "1.M1P1.h,S=1:2,S", 1, DateTime.UtcNow);

        var entry = Assert.Single(folder.Scan());

        Assert.False(entry.IsNew);
        Assert.Equal(MaildirFlags.Seen, entry.Flags);
    }

    [Fact]
    public void Set_flags_renames_into_cur_and_keeps_the_base_name()
    {
        using var temp = new TempDirectory();
        var folder = MaildirFolder.Create(temp.Path, isSubfolder: false);
        Write(folder.NewPath, "1.M1P1.h,S=1,W=1", 1, DateTime.UtcNow);
        var entry = Assert.Single(folder.Scan());

        var seen = folder.SetFlags(entry, MaildirFlags.Seen | MaildirFlags.Flagged, [2]).Value;
        var cleared = folder.SetFlags(seen, MaildirFlags.None, []).Value;

        Assert.Equal(Path.Combine(folder.CurPath, "1.M1P1.h,S=1,W=1:2,"), cleared.Path);
        Assert.Equal(Path.Combine(folder.CurPath, "1.M1P1.h,S=1,W=1:2,FSc"), seen.Path);
        Assert.Equal(["1.M1P1.h,S=1,W=1:2,"], Directory.GetFiles(folder.CurPath).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(folder.NewPath));
        Assert.Equal(cleared, folder.SetFlags(cleared, MaildirFlags.None, []).Value);
    }

    [Fact]
    public void Set_flags_follows_a_file_renamed_by_someone_else()
    {
        using var temp = new TempDirectory();
        var folder = MaildirFolder.Create(temp.Path, isSubfolder: false);
        Write(folder.NewPath, "1.M1P1.h,S=1", 1, DateTime.UtcNow);
        var stale = Assert.Single(folder.Scan());
        File.Move(stale.Path, Path.Combine(folder.CurPath, "1.M1P1.h,S=1:2,S"));

        var result = folder.SetFlags(stale, MaildirFlags.Replied, []);

        Assert.Equal(Path.Combine(folder.CurPath, "1.M1P1.h,S=1:2,R"), result.Value.Path);
        Assert.Single(Directory.GetFiles(folder.CurPath));
    }

    [Fact]
    public void Set_flags_and_remove_report_an_expunged_message()
    {
        using var temp = new TempDirectory();
        var folder = MaildirFolder.Create(temp.Path, isSubfolder: false);
        Write(folder.CurPath, "1.M1P1.h:2,S", 1, DateTime.UtcNow);
        var entry = Assert.Single(folder.Scan());

        Assert.True(folder.Remove(entry));
        Assert.False(folder.Remove(entry));
        Assert.Equal(MaildirFailureKind.NotFound, folder.SetFlags(entry, MaildirFlags.Seen, []).Failure!.Kind);
        Assert.Empty(folder.Scan());
    }

    [Fact]
    public void Find_locates_a_message_by_base_name()
    {
        using var temp = new TempDirectory();
        var folder = MaildirFolder.Create(temp.Path, isSubfolder: false);
        Write(folder.CurPath, "1.M1P1.h,S=1:2,FS", 1, DateTime.UtcNow);
        Write(folder.CurPath, "1.M1P1.h,S=10:2,S", 1, DateTime.UtcNow);
        Write(folder.NewPath, "2.M2P2.h", 1, DateTime.UtcNow);

        Assert.Equal("1.M1P1.h,S=1:2,FS", Path.GetFileName(folder.Find("1.M1P1.h,S=1")!.Path));
        Assert.True(folder.Find("2.M2P2.h")!.IsNew);
        Assert.Null(folder.Find("1.M1P1.h"));
    }

    [Fact]
    public void Stale_tmp_files_are_deleted_and_fresh_ones_kept()
    {
        using var temp = new TempDirectory();
        var folder = MaildirFolder.Create(temp.Path, isSubfolder: false);
        var old = DateTime.UtcNow - TimeSpan.FromHours(40);
        Write(folder.TmpPath, "old", 1, old);
        File.SetLastAccessTimeUtc(Path.Combine(folder.TmpPath, "old"), old);
        Write(folder.TmpPath, "fresh", 1, DateTime.UtcNow);

        var deleted = folder.DeleteStaleTmpFiles(TimeSpan.FromHours(36), TimeProvider.System);

        Assert.Equal(1, deleted);
        Assert.Equal(["fresh"], Directory.GetFiles(folder.TmpPath).Select(Path.GetFileName));
        Assert.Equal(0, new MaildirFolder(temp.Combine("missing")).DeleteStaleTmpFiles(TimeSpan.Zero, TimeProvider.System));
    }

    private static void Write(string directory, string name, int size, DateTime mtime)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, new byte[size]);
        File.SetLastWriteTimeUtc(path, mtime);
    }
}
