using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class MaildirRootTests
{
    private static readonly DotLockOptions Options = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static MailboxName Name(string imapName) => MailboxName.FromImap(imapName).Value;

    [Fact]
    public async Task Initialize_creates_inbox_and_the_subscribed_special_use_folders()
    {
        using var temp = new TempDirectory();
        var root = new MaildirRoot(temp.Combine("Maildir"));

        await root.InitializeAsync(Options, TimeProvider.System, CancellationToken.None);
        await root.InitializeAsync(Options, TimeProvider.System, CancellationToken.None);

        Assert.True(root.Inbox.Exists);
        Assert.Equal(["INBOX", "Drafts", "Junk", "Sent", "Trash"], root.ListFolders().Folders.Select(f => f.Name.Name));
        Assert.All(new[] { ".Drafts", ".Sent", ".Junk", ".Trash" }, d => Assert.True(File.Exists(temp.Combine("Maildir", d, "maildirfolder"))));
        Assert.Equal("V\t2\n\nDrafts\nSent\nJunk\nTrash\n", File.ReadAllText(temp.Combine("Maildir", "subscriptions")));
    }

    [Fact]
    public void Create_folder_refuses_an_existing_one_and_completes_a_half_created_one()
    {
        using var temp = new TempDirectory();
        var root = new MaildirRoot(temp.Path);
        MaildirFolder.Create(root.Path, isSubfolder: false);

        var created = root.CreateFolder(Name("Archive/2025")).Value;
        Directory.Delete(created.TmpPath);
        var completed = root.CreateFolder(Name("Archive/2025"));
        var again = root.CreateFolder(Name("Archive/2025"));

        Assert.Equal(temp.Combine(".Archive.2025"), created.Path);
        Assert.True(completed.Succeeded);
        Assert.True(Directory.Exists(created.TmpPath));
        Assert.Equal(MaildirFailureKind.Conflict, again.Failure!.Kind);
        Assert.Equal(MaildirFailureKind.Conflict, root.CreateFolder(MailboxName.Inbox).Failure!.Kind);
    }

    [Fact]
    public void Listing_decodes_folders_and_reports_directories_it_cannot_map()
    {
        using var temp = new TempDirectory();
        var root = new MaildirRoot(temp.Path);
        MaildirFolder.Create(root.Path, isSubfolder: false);
        foreach (var directory in new[] { ".Entw&APw-rfe", ".x.y.z", ".INBOX", "..bad", ".bad&", "cur-not-a-folder" })
        {
            Directory.CreateDirectory(temp.Combine(directory));
        }

        File.WriteAllText(temp.Combine(".file-not-dir"), "");

        var listing = root.ListFolders();

        Assert.Equal(["INBOX", "Entwürfe", "x/y/z"], listing.Folders.Select(f => f.Name.Name));
        Assert.Equal(temp.Combine(".x.y.z"), listing.Folders[2].Folder.Path);
        Assert.Equal(["..bad", ".INBOX", ".bad&"], listing.Skipped.Select(s => s.DirectoryName));
        Assert.All(listing.Skipped, s => Assert.Equal(MaildirFailureKind.InvalidName, s.Failure.Kind));
    }

    [Fact]
    public void Listing_a_missing_root_is_empty()
    {
        using var temp = new TempDirectory();

        var listing = new MaildirRoot(temp.Combine("nope")).ListFolders();

        Assert.Empty(listing.Folders);
        Assert.Empty(listing.Skipped);
    }

    [Fact]
    public void Get_folder_maps_names_to_directories_under_the_root()
    {
        var root = new MaildirRoot("/srv/mail/example.test/john/Maildir");

        Assert.Same(root.Inbox, root.GetFolder(MailboxName.Inbox).Value);
        Assert.Equal("/srv/mail/example.test/john/Maildir/.Entw&APw-rfe", root.GetFolder(Name("Entwürfe")).Value.Path);
    }

    [Fact]
    public void Hostile_mailbox_names_never_create_anything_outside_the_root()
    {
        using var temp = new TempDirectory();
        var root = new MaildirRoot(temp.Combine("user", "Maildir"));
        MaildirFolder.Create(root.Path, isSubfolder: false);
        var hostile = new[]
        {
            "..", "../x", "../../etc", "x/../..", "/", "//", "./a", "a/.", ".", "...", "a.b", ".hidden",
            "a\\..\\..", "%2E%2E", "&AC4-&AC4-", "~", "INBOX/..", "a\0b", "a\nb", "\u202E", "Sent/../../Trash",
        };

        foreach (var candidate in hostile)
        {
            var name = MailboxName.FromImap(candidate);
            if (name.Succeeded)
            {
                root.CreateFolder(name.Value);
            }
        }

        Assert.Equal(["Maildir"], Directory.GetFileSystemEntries(temp.Combine("user")).Select(Path.GetFileName));
        Assert.Equal([root.Path], Directory.GetDirectories(temp.Path).Select(d => Directory.GetDirectories(d).Single()));
        Assert.All(Directory.GetDirectories(root.Path, ".*"), d => Assert.Equal(root.Path, Path.GetDirectoryName(d)));
        Assert.Equal(
            ["%2E%2E", "&AC4-&AC4-", "~", "\u202E"],
            root.ListFolders().Folders.Skip(1).Select(f => f.Name.Name).OrderBy(n => n, StringComparer.Ordinal));
    }
}
