using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class MailboxNameTests
{
    [Theory]
    [InlineData("Archive/2025", ".Archive.2025")]
    [InlineData("Entwürfe", ".Entw&APw-rfe")]
    [InlineData("x/y/z", ".x.y.z")]
    [InlineData("INBOX/child", ".INBOX.child")]
    [InlineData("Sent Items", ".Sent Items")]
    [InlineData("A&B", ".A&-B")]
    public void Maps_imap_names_to_folder_directories_and_back(string imapName, string directory)
    {
        var name = MailboxName.FromImap(imapName).Value;

        Assert.Equal(directory, name.ToFolderDirectoryName());
        Assert.Equal(name, MailboxName.FromFolderDirectoryName(directory).Value);
        Assert.Equal(imapName, MailboxName.FromFolderDirectoryName(directory).Value.Name);
    }

    [Theory]
    [InlineData("INBOX")]
    [InlineData("inbox")]
    [InlineData("InBoX")]
    public void Inbox_is_case_insensitive_and_is_the_root(string imapName)
    {
        var name = MailboxName.FromImap(imapName).Value;

        Assert.True(name.IsInbox);
        Assert.Equal(MailboxName.Inbox, name);
        Assert.Equal("INBOX", name.Name);
        Assert.Equal("", name.ToFolderDirectoryName());
    }

    [Fact]
    public void An_inbox_prefix_is_canonicalised_but_not_other_components()
    {
        Assert.Equal("INBOX/Inbox", MailboxName.FromImap("inbox/Inbox").Value.Name);
        Assert.Equal("Foo/inbox", MailboxName.FromImap("Foo/inbox").Value.Name);
    }

    [Fact]
    public void Converts_to_and_from_the_modified_utf7_wire_form()
    {
        var name = MailboxName.FromModifiedUtf7("Entw&APw-rfe/2025").Value;

        Assert.Equal("Entwürfe/2025", name.Name);
        Assert.Equal("Entw&APw-rfe/2025", name.ToModifiedUtf7());
        Assert.Equal(["Entw&APw-rfe", "2025"], name.EncodedComponents);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/Archive")]
    [InlineData("Archive/")]
    [InlineData("A//B")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../../etc")]
    [InlineData("A/../B")]
    [InlineData("a.b")]
    [InlineData(".hidden")]
    [InlineData("tab\there")]
    [InlineData("nul\0")]
    [InlineData("line\nbreak")]
    [InlineData("del\u007f")]
    [InlineData("c1\u0085")]
    public void Refuses_unsafe_names_as_values(string imapName)
    {
        var result = MailboxName.FromImap(imapName);

        Assert.False(result.Succeeded);
        Assert.Equal(MaildirFailureKind.InvalidName, result.Failure!.Kind);
    }

    [Fact]
    public void Refuses_lone_surrogates()
    {
        // Not in InlineData: test discovery would serialise the lone surrogate as U+FFFD.
        Assert.False(MailboxName.FromImap("lone\uD800").Succeeded);
        Assert.False(MailboxName.FromImap("a/\uDC00b").Succeeded);
    }

    [Fact]
    public void Refuses_names_too_long_for_one_directory_entry()
    {
        Assert.True(MailboxName.FromImap(new string('a', 254)).Succeeded);
        Assert.False(MailboxName.FromImap(new string('a', 255)).Succeeded);
        Assert.False(MailboxName.FromImap(string.Join('/', Enumerable.Repeat(new string('b', 50), 6))).Succeeded);
    }

    [Theory]
    [InlineData("Archive")]     // no leading dot
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("..Archive")]   // empty first component
    [InlineData(".Archive.")]
    [InlineData(".A..B")]
    [InlineData(".Entw&APw-rfe-&")]
    [InlineData(".&AGE-")]      // non-canonical encoding of "a"
    [InlineData(".INBOX")]      // would be a second INBOX
    [InlineData(".inbox.x")]    // INBOX prefix in another case does not round-trip
    [InlineData(".a&AC8-b")]    // decodes to "a/b": '/' is our separator
    [InlineData(".x&AAo-y")]    // decodes to a line feed
    public void Refuses_folder_directories_that_do_not_map_back(string directory)
    {
        Assert.False(MailboxName.FromFolderDirectoryName(directory).Succeeded);
    }

    [Fact]
    public void Parents_children_and_descendants()
    {
        var name = MailboxName.FromImap("A/B/C").Value;

        Assert.Equal("A/B", name.Parent!.Name);
        Assert.Null(MailboxName.FromImap("A").Value.Parent);
        Assert.Equal("A/B/C/D", name.Child("D").Value.Name);
        Assert.False(name.Child("x.y").Succeeded);
        Assert.True(name.IsSelfOrDescendantOf(MailboxName.FromImap("A").Value));
        Assert.False(MailboxName.FromImap("AB").Value.IsSelfOrDescendantOf(MailboxName.FromImap("A").Value));
    }

    [Fact]
    public void Every_accepted_name_stays_inside_the_root()
    {
        using var temp = new TempDirectory();
        var hostile = new[] { "..", "../x", "x/..", "/etc/passwd", "~root", "a\\b", "%2e%2e", "&AC4-&AC4-", "*", "%", "...." };
        foreach (var candidate in hostile)
        {
            var name = MailboxName.FromImap(candidate);
            if (!name.Succeeded)
            {
                continue;
            }

            var path = MaildirLayout.GetFolderPath(temp.Path, name.Value);
            Assert.True(path.Succeeded, candidate);
            Assert.Equal(temp.Path, Path.GetDirectoryName(path.Value));
            Assert.StartsWith(".", Path.GetFileName(path.Value), StringComparison.Ordinal);
        }
    }
}
