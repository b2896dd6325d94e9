using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class SubscriptionsFileTests
{
    private static readonly DotLockOptions Options = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static MailboxName Name(string imapName) => MailboxName.FromImap(imapName).Value;

    [Fact]
    public void Reads_Dovecots_version_2_file()
    {
        var list = SubscriptionsFile.Parse("V\t2\n\nArchive\t2025\nEntw&APw-rfe\n");

        Assert.Equal([Name("Archive/2025"), Name("Entwürfe")], list.Names);
        Assert.Empty(list.UnreadableLines);
    }

    [Fact]
    public void Reads_the_old_format_with_dot_separators()
    {
        var list = SubscriptionsFile.Parse("Archive.2025\nEntw&APw-rfe\nINBOX\n");

        Assert.Equal([Name("Archive/2025"), Name("Entwürfe"), MailboxName.Inbox], list.Names);
    }

    [Fact]
    public void Writes_version_2_with_tabs_and_modified_utf7()
    {
        var text = SubscriptionsFile.Format([Name("Archive/2025"), Name("Entwürfe"), Name("Archive/2025")]);

        Assert.Equal("V\t2\n\nArchive\t2025\nEntw&APw-rfe\n", text);
    }

    [Fact]
    public void Decodes_tab_escapes_and_reports_unreadable_lines()
    {
        var list = SubscriptionsFile.Parse("V\t2\n\nA\u00011B\nbad&\nC\u0001tD\nok\n\tlead\n");

        // \001 1 → \001 and \001 t → TAB are control characters: not acceptable names.
        Assert.Equal([Name("ok")], list.Names);
        Assert.Equal(["A\u00011B", "bad&", "C\u0001tD", "\tlead"], list.UnreadableLines);
    }

    [Fact]
    public async Task Subscribing_and_unsubscribing_round_trips_through_the_file()
    {
        using var temp = new TempDirectory();

        Assert.Empty(SubscriptionsFile.Read(temp.Path).Names);
        await SubscriptionsFile.SetSubscribedAsync(temp.Path, Name("Archive/2025"), true, Options, TimeProvider.System, CancellationToken.None);
        await SubscriptionsFile.SetSubscribedAsync(temp.Path, Name("Entwürfe"), true, Options, TimeProvider.System, CancellationToken.None);
        await SubscriptionsFile.SetSubscribedAsync(temp.Path, Name("Archive/2025"), true, Options, TimeProvider.System, CancellationToken.None);
        await SubscriptionsFile.SetSubscribedAsync(temp.Path, Name("Gone"), false, Options, TimeProvider.System, CancellationToken.None);

        Assert.Equal("V\t2\n\nArchive\t2025\nEntw&APw-rfe\n", File.ReadAllText(SubscriptionsFile.PathIn(temp.Path)));

        await SubscriptionsFile.SetSubscribedAsync(temp.Path, Name("Archive/2025"), false, Options, TimeProvider.System, CancellationToken.None);
        Assert.Equal([Name("Entwürfe")], SubscriptionsFile.Read(temp.Path).Names);

        await SubscriptionsFile.WriteAsync(temp.Path, [Name("x/y")], Options, TimeProvider.System, CancellationToken.None);
        Assert.Equal("V\t2\n\nx\ty\n", File.ReadAllText(SubscriptionsFile.PathIn(temp.Path)));
        Assert.Equal(["subscriptions"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }
}
