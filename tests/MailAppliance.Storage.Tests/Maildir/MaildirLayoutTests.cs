using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class MaildirLayoutTests
{
    [Fact]
    public void A_users_maildir_is_under_mail_domain_localpart()
    {
        using var temp = new TempDirectory();
        var layout = new MaildirLayout(temp.Path);

        var path = layout.GetUserMaildirPath("Example.TEST", "john").Value;

        Assert.Equal(temp.Combine("mail", "example.test", "john", "Maildir"), path);
    }

    [Theory]
    [InlineData("..", "%2E.")]
    [InlineData("../../../etc", "%2E.%2F..%2F..%2Fetc")]
    [InlineData(".profile", "%2Eprofile")]
    [InlineData("/", "%2F")]
    [InlineData("\"john doe\"", "%22john%20doe%22")]
    public void Hostile_local_parts_stay_inside_their_domain(string localPart, string segment)
    {
        using var temp = new TempDirectory();
        var layout = new MaildirLayout(temp.Path);

        var path = layout.GetUserMaildirPath("example.test", localPart).Value;

        Assert.Equal(temp.Combine("mail", "example.test", segment, "Maildir"), path);
        Assert.Equal(("example.test", localPart), MaildirLayout.DecodeUserDirectory("example.test", segment).Value);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    public void Hostile_domains_stay_inside_the_mail_directory(string domain)
    {
        using var temp = new TempDirectory();
        var layout = new MaildirLayout(temp.Path);

        var path = layout.GetUserMaildirPath(domain, "x").Value;

        Assert.Equal(layout.MailDirectory, Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(path))));
    }

    [Fact]
    public void Refuses_empty_names()
    {
        var layout = new MaildirLayout("/srv/data");

        Assert.False(layout.GetUserMaildirPath("", "x").Succeeded);
        Assert.False(layout.GetUserMaildirPath("example.test", "").Succeeded);
    }

    [Fact]
    public void Folder_paths_are_the_root_for_inbox_and_dot_directories_otherwise()
    {
        Assert.Equal("/m/Maildir", MaildirLayout.GetFolderPath("/m/Maildir", MailboxName.Inbox).Value);
        Assert.Equal("/m/Maildir/.Archive.2025", MaildirLayout.GetFolderPath("/m/Maildir/", MailboxName.FromImap("Archive/2025").Value).Value);
    }

    [Theory]
    [InlineData("/m/Maildir", "/m/Maildir", true)]
    [InlineData("/m/Maildir", "/m/Maildir/.A", true)]
    [InlineData("/m/Maildir", "/m/Maildir/.A/../.B", true)]
    [InlineData("/m/Maildir", "/m/Maildir/..", false)]
    [InlineData("/m/Maildir", "/m/Maildir2", false)]
    [InlineData("/m/Maildir", "/m/Maildir/.A/../../x", false)]
    [InlineData("/m/Maildir/", "/etc/passwd", false)]
    public void The_guard_checks_containment(string root, string path, bool inside)
    {
        Assert.Equal(inside, MaildirLayout.EnsureInside(root, path).Succeeded);
    }

    [Fact]
    public void Decoding_refuses_directories_we_did_not_write()
    {
        Assert.False(MaildirLayout.DecodeUserDirectory("Example.test", "john").Succeeded);
        Assert.False(MaildirLayout.DecodeUserDirectory("example.test", ".john").Succeeded);
        Assert.False(MaildirLayout.DecodeUserDirectory("example.test", "a%2fb").Succeeded);
    }
}
