using MailAppliance.Storage.Durability;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class FileSystemSyncTests
{
    [Fact]
    public void Fsyncs_an_existing_directory()
    {
        using var temp = new TempDirectory();

        FileSystemSync.FsyncDirectory(temp.Path);
        FileSystemSync.FsyncDirectory(temp.Path + "/");
    }

    [Fact]
    public void A_missing_directory_is_an_io_error_with_errno()
    {
        using var temp = new TempDirectory();

        var error = Assert.Throws<IOException>(() => FileSystemSync.FsyncDirectory(temp.Combine("missing")));

        Assert.Equal(2, error.HResult); // ENOENT
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_is_not_a_directory()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("f"), "x");

        var error = Assert.Throws<IOException>(() => FileSystemSync.FsyncDirectory(temp.Combine("f")));

        Assert.Equal(20, error.HResult); // ENOTDIR: O_DIRECTORY is honoured
    }

    [Fact]
    public void Non_ascii_paths_are_passed_as_utf8()
    {
        using var temp = new TempDirectory();
        var directory = Directory.CreateDirectory(temp.Combine(".Entwürfe 台北")).FullName;

        FileSystemSync.FsyncDirectory(directory);
    }
}
