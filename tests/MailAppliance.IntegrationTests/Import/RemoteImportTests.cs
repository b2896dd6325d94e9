using System.Globalization;
using System.Text.RegularExpressions;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Import;

/// <summary>
/// <c>import imap</c> and <c>import pop3</c> pulling from a live Dovecot on loopback (MailKit's ImapClient, our POP3
/// client): folders and hierarchy, flags, keywords, INTERNALDATEs, UIDVALIDITY and UIDs, subscriptions, and the
/// special-use folders landing in ours ("Sent Items" into Sent, "Spam" into Junk: no second Sent or Junk).
/// </summary>
public sealed partial class RemoteImportTests(ImportFixture app) : IClassFixture<ImportFixture>
{
    private const string RemoteUser = "remote@example.test";
    private const string RemotePassword = "rpass";

    private async Task<(DovecotServer Server, uint InboxValidity)> PopulatedDovecotAsync(string name)
    {
        var server = await DovecotServer.StartAsync(app.Scratch(name), (RemoteUser, RemotePassword));
        await using var imap = await ImapClientScript.ConnectAsync(server.ImapPort);
        await imap.Send($"l LOGIN {RemoteUser} {RemotePassword}");
        await imap.Expect("l OK");
        foreach (var folder in new[] { "\"Sent Items\"", "Spam", "Projects/2026" })
        {
            await imap.Send($"c CREATE {folder}");
            await imap.Expect("c OK");
        }

        await Append(imap, "INBOX", "(\\Seen $Label1)", "01-Feb-2024 10:00:00 +0100", "Subject: first\r\nMessage-ID: <first@remote>\r\n\r\none\r\n");
        await Append(imap, "INBOX", "(\\Flagged)", "02-Feb-2024 10:00:00 +0000", "Subject: second\r\n\r\ntwo\r\n");
        await Append(imap, "\"Sent Items\"", "(\\Seen)", "03-Feb-2024 10:00:00 +0000", "Subject: sent\r\n\r\nthree\r\n");
        await Append(imap, "Spam", "()", "04-Feb-2024 10:00:00 +0000", "Subject: spam\r\n\r\nfour\r\n");
        await Append(imap, "Projects/2026", "(\\Answered)", "05-Feb-2024 10:00:00 +0000", "Subject: project\r\n\r\nfive\r\n");
        await imap.Send("s SUBSCRIBE Projects/2026");
        await imap.Expect("s OK");
        await imap.Send("x SELECT INBOX");
        var select = await imap.Expect("x OK");
        var validity = uint.Parse(UidValidity().Match(string.Join("\n", select)).Groups[1].Value, CultureInfo.InvariantCulture);
        return (server, validity);
    }

    private static async Task Append(ImapClientScript imap, string folder, string flags, string date, string message)
    {
        await imap.SendLiteral($"a APPEND {folder} {flags} \"{date}\" ", message);
        await imap.Expect("a OK");
    }

    private string PasswordFile()
    {
        var file = Path.Combine(app.Root, "remote-password");
        File.WriteAllText(file, RemotePassword + "\n");
        return file;
    }

    [Fact]
    public async Task An_imap_pull_from_dovecot_keeps_folders_flags_dates_uids_and_maps_special_use()
    {
        var user = await app.UserAsync("puller");
        var (server, validity) = await PopulatedDovecotAsync("dovecot-imap");
        await using var _ = server;

        string[] command = ["import", "imap", "--host", "127.0.0.1", "--port", server.ImapPort.ToString(CultureInfo.InvariantCulture),
            "--login", RemoteUser, "--password-file", PasswordFile(), "--user", user, "--plain"];
        var result = await app.Cli.RunAsync(command);
        Assert.True(result.ExitCode == 0, result + server.Log());
        Assert.EndsWith("imported 5, duplicates 0, skipped 0, failed 0\n", result.Output, StringComparison.Ordinal);

        await using var imap = await ImapClientScript.LoginAsync(app.ImapPort, user);
        await imap.Send("l LIST \"\" \"*\"");
        var list = string.Join("\n", await imap.Expect("l OK"));
        Assert.DoesNotContain("Sent Items", list, StringComparison.Ordinal);
        Assert.DoesNotContain("Spam", list, StringComparison.Ordinal);
        Assert.Contains("\"Projects/2026\"", list, StringComparison.Ordinal);
        await imap.Send("u LSUB \"\" \"*\"");
        Assert.Contains("* LSUB () \"/\" \"Projects/2026\"", await imap.Expect("u OK"));

        await imap.Send("s SELECT INBOX");
        var select = await imap.Expect("s OK");
        Assert.True(select.Contains($"* OK [UIDVALIDITY {validity}] UIDs valid"), string.Join("\n", select));
        await imap.Send("f UID FETCH 1:* (FLAGS INTERNALDATE)");
        var fetch = Recent.Strip(await imap.Expect("f OK"));
        Assert.Equal(2, fetch.Count);
        Assert.Matches(@"^\* 1 FETCH \(UID 1 FLAGS \((?=.*\\Seen)(?=.*\$Label1)[^)]*\) INTERNALDATE ""01-Feb-2024 09:00:00 \+0000""\)$", fetch[0]);
        Assert.Equal("* 2 FETCH (UID 2 FLAGS (\\Flagged) INTERNALDATE \"02-Feb-2024 10:00:00 +0000\")", fetch[1]);

        foreach (var (folder, flags) in new[] { ("Sent", "\\Seen"), ("Junk", ""), ("Projects/2026", "\\Answered") })
        {
            await imap.Send($"e EXAMINE \"{folder}\"");
            Assert.Contains("* 1 EXISTS", await imap.Expect("e OK"));
            await imap.Send("g FETCH 1 (FLAGS)");
            Assert.Contains($"* 1 FETCH (FLAGS ({flags}))", Recent.Strip(await imap.Expect("g OK")));
        }

        // Resumable: nothing twice.
        result = await app.Cli.RunAsync(command);
        Assert.EndsWith("imported 0, duplicates 0, skipped 5, failed 0\n", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pop3_pull_from_dovecot_takes_the_inbox_once()
    {
        var user = await app.UserAsync("pop3puller");
        var (server, _) = await PopulatedDovecotAsync("dovecot-pop3");
        await using var _ = server;

        string[] command = ["import", "pop3", "--host", "127.0.0.1", "--port", server.Pop3Port.ToString(CultureInfo.InvariantCulture),
            "--login", RemoteUser, "--password-file", PasswordFile(), "--user", user, "--plain"];
        var result = await app.Cli.RunAsync(command);
        Assert.True(result.ExitCode == 0, result + server.Log());
        Assert.EndsWith("imported 2, duplicates 0, skipped 0, failed 0\n", result.Output, StringComparison.Ordinal);
        result = await app.Cli.RunAsync(command);
        Assert.EndsWith("imported 0, duplicates 0, skipped 2, failed 0\n", result.Output, StringComparison.Ordinal);

        await using var imap = await ImapClientScript.LoginAsync(app.ImapPort, user);
        await imap.Send("s SELECT INBOX");
        await imap.Expect("s OK");
        await imap.Send("h FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
        var fetch = string.Join("\n", await imap.Expect("h OK"));
        Assert.Contains("Subject: first", fetch, StringComparison.Ordinal);
        Assert.Contains("Subject: second", fetch, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_text_to_a_remote_host_is_refused()
    {
        var user = await app.UserAsync("careful");
        var result = await app.Cli.RunAsync(["import", "imap", "--host", "imap.example.net", "--login", "x", "--password-file", PasswordFile(), "--user", user, "--plain"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("only for a loopback host", result.Error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\[UIDVALIDITY (\d+)\]")]
    private static partial Regex UidValidity();
}
