using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Import;

/// <summary>
/// <c>import mbox</c> on mboxes written by UW-IMAP's own c-client (Debian's uw-mailutils, <c>mailutil</c>): the
/// folder's UIDVALIDITY, the messages' UIDs, flags, keywords and INTERNALDATEs survive, so IMAP clients keep their
/// caches, and POP3 clients see UIDLs derived from them (Dovecot's <c>%08Xu%08Xv</c>) that do not change again.
/// </summary>
public sealed partial class MboxImportTests(ImportFixture app) : IClassFixture<ImportFixture>
{
    private const string Source = """
        From alice@example.test Mon Jan  4 10:00:00 2021
        From: alice@example.test
        Subject: one
        X-IMAPbase: 1600000000 0000000003 $Label1 Important
        Message-ID: <one@example.test>
        Status: RO
        X-Status: AF
        X-Keywords: $Label1 Important

        Hello
        From here on, a line c-client quotes

        From carol@example.test Tue Jan  5 11:30:00 2021
        From: carol@example.test
        Subject: two
        Status: O
        X-Status: T

        Body two

        From dave@example.test Tue Jan  5 12:30:00 2021
        From: dave@example.test
        Subject: three

        Body three

        """;

    /// <summary>Writes <see cref="Source"/> through mailutil into a genuine UW-IMAP mbox; returns its path and UIDVALIDITY.</summary>
    private async Task<(string Path, uint UidValidity)> UwMboxAsync(string name)
    {
        Assert.True(File.Exists("/usr/bin/mailutil"), "mailutil is missing: install uw-mailutils (scripts/install-deps.sh --test)");
        var home = app.Scratch(name);
        await File.WriteAllTextAsync(Path.Combine(home, "source"), Source.Replace("\r\n", "\n", StringComparison.Ordinal));
        ImportFixture.OpenUp(home);
        var (exit, output) = await ImportFixture.AsNobodyAsync(home, "mailutil", "copy", "-kw", "source", "uw");
        Assert.True(exit == 0, output);
        // c-client gives UIDs when it next writes the folder: a prune that matches nothing rewrites it with them.
        (exit, output) = await ImportFixture.AsNobodyAsync(home, "mailutil", "prune", "uw", "before 1-jan-1990");
        var mbox = Path.Combine(home, "uw");
        var text = await File.ReadAllTextAsync(mbox);
        Assert.Contains("X-UID: 4", text, StringComparison.Ordinal);
        var validity = uint.Parse(XImap().Match(text).Groups[1].Value, CultureInfo.InvariantCulture);
        return (mbox, validity);
    }

    [Fact]
    public async Task A_uw_imap_mbox_keeps_uidvalidity_uids_flags_keywords_and_gives_dovecot_uidls()
    {
        var user = await app.UserAsync("uw");
        var (mbox, validity) = await UwMboxAsync("uw-mbox");

        var result = await app.Cli.RunAsync(["import", "mbox", mbox, "--user", user]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.EndsWith("imported 3, duplicates 0, skipped 0, failed 0\n", result.Output, StringComparison.Ordinal);

        await using var imap = await ImapClientScript.LoginAsync(app.ImapPort, user);
        await imap.Send("s SELECT INBOX");
        var select = await imap.Expect("s OK");
        Assert.True(select.Contains($"* OK [UIDVALIDITY {validity}] UIDs valid") && select.Contains("* OK [UIDNEXT 5] Predicted next UID"), string.Join("\n", select));
        await imap.Send("f UID FETCH 1:* (FLAGS INTERNALDATE)");
        var fetch = Recent.Strip(await imap.Expect("f OK"));
        Assert.Equal(3, fetch.Count);
        Assert.Matches(@"^\* 1 FETCH \(UID 2 FLAGS \((?=.*\\Seen)(?=.*\\Answered)(?=.*\\Flagged)(?=.*\$Label1)(?=.*Important)[^)]*\) INTERNALDATE ""04-Jan-2021 10:00:00 \+0000""\)$", fetch[0]);
        Assert.Matches(@"^\* 2 FETCH \(UID 3 FLAGS \(\\Draft\) INTERNALDATE ""05-Jan-2021 11:30:00 \+0000""\)$", fetch[1]);
        Assert.Matches(@"^\* 3 FETCH \(UID 4 FLAGS \(\) INTERNALDATE ""05-Jan-2021 12:30:00 \+0000""\)$", fetch[2]);
        await imap.Send("b UID FETCH 2 (BODY.PEEK[])");
        var body = string.Join("\n", await imap.Expect("b OK"));
        Assert.DoesNotContain("X-UID", body, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Status", body, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Keywords", body, StringComparison.Ordinal);
        Assert.Contains(">From here on", body, StringComparison.Ordinal);

        // POP3 UIDLs in Dovecot's default form, from the kept UID and UIDVALIDITY.
        var (exit, uidl) = await ApplianceFixture.RunAsync("curl", ["-sS", "--max-time", "30", "-k", $"pop3s://127.0.0.1:{app.Pop3sPort}/", "-u", $"{user}:pw", "-X", "UIDL"]);
        Assert.True(exit == 0, uidl);
        var v = validity.ToString("x8", CultureInfo.InvariantCulture);
        Assert.Equal($"1 00000002{v}\r\n2 00000003{v}\r\n3 00000004{v}\r\n", uidl);

        // Resumable: a second run adds nothing.
        result = await app.Cli.RunAsync(["import", "mbox", mbox, "--user", user, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("{\"imported\":0,\"duplicates\":0,\"skipped\":3,\"failed\":0}\n", result.Output);
    }

    [Fact]
    public async Task A_dry_run_counts_and_stores_nothing()
    {
        var user = await app.UserAsync("uwdry");
        var (mbox, _) = await UwMboxAsync("uw-dry");
        var result = await app.Cli.RunAsync(["import", "mbox", mbox, "--user", user, "--dry-run"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.EndsWith("dry run: would have imported 3, duplicates 0, skipped 0, failed 0\n", result.Output, StringComparison.Ordinal);
        Assert.Empty(await app.MessagesAsync("uwdry", atLeast: 0));
    }

    [Fact]
    public async Task Into_a_folder_that_holds_messages_they_get_new_uids_and_the_summary_says_so()
    {
        var user = await app.UserAsync("uwfull");
        var (mbox, validity) = await UwMboxAsync("uw-full");
        await using (var imap = await ImapClientScript.LoginAsync(app.ImapPort, user))
        {
            await imap.SendLiteral("a APPEND INBOX ", Encoding.ASCII.GetBytes("Subject: there first\r\n\r\nhi\r\n"));
            await imap.Expect("a OK");
        }

        var result = await app.Cli.RunAsync(["import", "mbox", mbox, "--user", user]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("INBOX: the folder already held messages, so the imported ones got new UIDs", result.Output, StringComparison.Ordinal);
        Assert.EndsWith("imported 3, duplicates 0, skipped 0, failed 0\n", result.Output, StringComparison.Ordinal);
        await using var check = await ImapClientScript.LoginAsync(app.ImapPort, user);
        await check.Send("s SELECT INBOX");
        var select = await check.Expect("s OK");
        Assert.DoesNotContain($"* OK [UIDVALIDITY {validity}]", select);
        Assert.Contains("* 4 EXISTS", select);
    }

    [GeneratedRegex(@"X-IMAP: (\d+) ")]
    private static partial Regex XImap();
}
