using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Import;

/// <summary>
/// <c>import maildir</c> on trees written by real servers: a Courier maildir that Debian's courier-imap wrote (run
/// pre-authenticated as <c>nobody</c>) keeps its UIDVALIDITY, UIDs (with the gap an expunge left), keywords and
/// subscriptions; a plain Maildir++ without UID data gets UIDs in arrival order.
/// </summary>
public sealed partial class MaildirImportTests(ImportFixture app) : IClassFixture<ImportFixture>
{
    // Unpacked by scripts/install-deps.sh --test: the courier-imap package conflicts with dovecot-imapd.
    private const string CourierImapd = "/var/cache/mailappliance-test/courier-imap/usr/bin/imapd";

    /// <summary>Courier-IMAP writes a maildir: INBOX with UIDs 1 and 3 (2 expunged) and keywords, a subscribed Work folder.</summary>
    private async Task<(string Maildir, string Transcript)> CourierMaildirAsync(string name)
    {
        Assert.True(File.Exists(CourierImapd), $"{CourierImapd} is missing: run scripts/install-deps.sh --test");
        var home = app.Scratch(name);
        var maildir = Path.Combine(home, "Maildir");
        foreach (var d in new[] { "cur", "new", "tmp" })
        {
            Directory.CreateDirectory(Path.Combine(maildir, d));
        }

        var messages = new[] { "Subject: one\r\n\r\nbody 1\r\n", "Subject: two\r\n\r\nbody 2\r\n", "Subject: three\r\n\r\nbody 3\r\n" };
        var script = new StringBuilder("a1 CREATE INBOX.Work\r\na2 SUBSCRIBE INBOX.Work\r\n");
        for (var i = 0; i < messages.Length; i++)
        {
            script.Append($"p{i} APPEND INBOX (\\Seen) {{{messages[i].Length}}}\r\n{messages[i]}\r\n");
        }

        script.Append($"w1 APPEND INBOX.Work (\\Flagged) {{{messages[0].Length}}}\r\n{messages[0]}\r\n");
        script.Append("s1 SELECT INBOX\r\ns2 STORE 1 +FLAGS ($Important Project)\r\ns3 STORE 2 +FLAGS (\\Deleted)\r\ns4 EXPUNGE\r\n");
        script.Append("s5 STORE 2 +FLAGS (Project)\r\ns6 FETCH 1:* (UID FLAGS)\r\nz LOGOUT\r\n");
        var input = Path.Combine(home, "commands");
        await File.WriteAllTextAsync(input, script.ToString());
        // Courier checks that the maildir belongs to the user it runs as.
        var (exit, output) = await ApplianceFixture.RunAsync("chown", ["-R", "nobody:nogroup", home]);
        Assert.True(exit == 0, output);
        (exit, output) = await ApplianceFixture.RunAsync("sh", ["-c",
            $"cd {home} && runuser -u nobody -- env -i HOME={home} AUTHENTICATED=nobody IMAP_KEYWORDS=1 {CourierImapd} Maildir < commands"]);
        Assert.True(exit == 0 && output.Contains("z OK", StringComparison.Ordinal), output);
        Assert.Contains("* 2 FETCH (UID 3 FLAGS (\\Seen Project))", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(maildir, "courierimapuiddb")) && Directory.Exists(Path.Combine(maildir, "courierimapkeywords")), output);
        return (maildir, output);
    }

    [Fact]
    public async Task A_courier_maildir_keeps_uidvalidity_uids_keywords_and_subscriptions()
    {
        var user = await app.UserAsync("courier");
        var (maildir, transcript) = await CourierMaildirAsync("courier");
        var validity = UidValidity().Match(transcript).Groups[1].Value;

        var result = await app.Cli.RunAsync(["import", "maildir", maildir, "--user", user]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.EndsWith("imported 3, duplicates 0, skipped 0, failed 0\n", result.Output, StringComparison.Ordinal);

        await using var imap = await ImapClientScript.LoginAsync(app.ImapPort, user);
        await imap.Send("l LSUB \"\" \"*\"");
        var lsub = await imap.Expect("l OK");
        Assert.Contains("* LSUB () \"/\" \"Work\"", lsub);
        await imap.Send("s SELECT INBOX");
        var select = await imap.Expect("s OK");
        Assert.True(select.Contains($"* OK [UIDVALIDITY {validity}] UIDs valid") && select.Contains("* OK [UIDNEXT 4] Predicted next UID"), string.Join("\n", select));
        await imap.Send("f UID FETCH 1:* (FLAGS)");
        var fetch = (await imap.Expect("f OK")).ToList();
        Assert.Equal(2, fetch.Count);
        Assert.Matches(@"^\* 1 FETCH \(UID 1 FLAGS \((?=.*\\Seen)(?=.*\$Important)(?=.*Project)[^)]*\)\)$", fetch[0]);
        Assert.Matches(@"^\* 2 FETCH \(UID 3 FLAGS \((?=.*\\Seen)(?=.*Project)(?!.*\$Important)[^)]*\)\)$", fetch[1]);
        await imap.Send("w SELECT Work");
        var work = await imap.Expect("w OK");
        Assert.Contains("* 1 EXISTS", work);
        await imap.Send("wf UID FETCH 1 (FLAGS)");
        Assert.Contains("* 1 FETCH (UID 1 FLAGS (\\Flagged))", Recent.Strip(await imap.Expect("wf OK")));
    }

    [Fact]
    public async Task A_plain_maildir_gets_uids_in_arrival_order()
    {
        var user = await app.UserAsync("plainmd");
        var maildir = Path.Combine(app.Scratch("plain"), "Maildir");
        foreach (var d in new[] { "cur", "new", "tmp", ".Archive/cur", ".Archive/new", ".Archive/tmp" })
        {
            Directory.CreateDirectory(Path.Combine(maildir, d));
        }

        // Names sort differently as text than by their delivery time: 999999999 is earlier than 1700000000.
        await File.WriteAllTextAsync(Path.Combine(maildir, "new", "1700000000.M1P1.old"), "Subject: second\n\nb\n");
        await File.WriteAllTextAsync(Path.Combine(maildir, "cur", "999999999.M1P1.old:2,RS"), "Subject: first\n\na\n");
        await File.WriteAllTextAsync(Path.Combine(maildir, ".Archive", "cur", "1700000001.M1P1.old:2,"), "Subject: archived\n\nc\n");

        var result = await app.Cli.RunAsync(["import", "maildir", maildir, "--user", user]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.EndsWith("imported 3, duplicates 0, skipped 0, failed 0\n", result.Output, StringComparison.Ordinal);

        await using var imap = await ImapClientScript.LoginAsync(app.ImapPort, user);
        await imap.Send("s SELECT INBOX");
        await imap.Expect("s OK");
        await imap.Send("f UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
        var fetch = Recent.Strip(string.Join("\n", await imap.Expect("f OK")));
        Assert.True(fetch.IndexOf("Subject: first", StringComparison.Ordinal) < fetch.IndexOf("Subject: second", StringComparison.Ordinal), fetch);
        Assert.Contains("UID 1 FLAGS (\\Answered \\Seen)", fetch, StringComparison.Ordinal);
        await imap.Send("a STATUS Archive (MESSAGES)");
        Assert.Contains("* STATUS \"Archive\" (MESSAGES 1)", await imap.Expect("a OK"));
    }

    [GeneratedRegex(@"\[UIDVALIDITY (\d+)\]")]
    private static partial Regex UidValidity();
}
