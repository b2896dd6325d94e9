using System.Diagnostics;
using System.Text;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

/// <summary>
/// Dovecot reads a tree written only by this layer: it must see our UIDVALIDITY, UIDs, UIDNEXT, flags, keywords,
/// INTERNALDATE, folders and subscriptions, and its own APPEND must continue our UIDs in a uidlist we can read.
/// Runs Debian's <c>/usr/lib/dovecot/imap</c> pre-authenticated (as <c>nobody</c> when the tests run as root, since
/// Dovecot refuses uid 0). Without Dovecot installed (<c>apt-get install dovecot-imapd</c>) the test does nothing.
/// </summary>
public class DovecotInteropTests
{
    private const string DovecotImap = "/usr/lib/dovecot/imap";

    private static MailboxName Name(string imapName) => MailboxName.FromImap(imapName).Value;

    [Fact]
    public async Task Dovecot_reads_our_tree_and_continues_our_uids()
    {
        // scripts/test.sh installs dovecot-imapd; a missing oracle is a broken test set-up, never a pass.
        Assert.True(File.Exists(DovecotImap), $"{DovecotImap} is missing: install dovecot-imapd (scripts/install-deps.sh --test)");

        using var temp = new TempDirectory();
        var root = new MaildirRoot(temp.Combine("Maildir"));
        await WriteTree(root);

        var transcript = await RunDovecot(temp,
            "c1 LIST \"\" \"*\"",
            "c2 LSUB \"\" \"*\"",
            "c3 SELECT INBOX",
            "c4 FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)",
            "c5 STATUS \"Archiv/Entw&APw-rfe 2025\" (MESSAGES UIDNEXT UIDVALIDITY)",
            "c6 APPEND INBOX (\\Seen) {4+}\r\nhi\r\n",
            "c7 LOGOUT");

        Assert.Contains("* LIST (\\HasNoChildren) \"/\" \"Archiv/Entw&APw-rfe 2025\"", transcript, StringComparison.Ordinal);
        Assert.Contains("* LSUB () \"/\" \"Archiv/Entw&APw-rfe 2025\"", transcript, StringComparison.Ordinal);
        Assert.Contains("* LSUB () \"/\" Trash", transcript, StringComparison.Ordinal);
        Assert.Contains("* OK [UIDVALIDITY 1700000000]", transcript, StringComparison.Ordinal);
        Assert.Contains("* OK [UIDNEXT 21]", transcript, StringComparison.Ordinal);
        Assert.Contains("* 1 FETCH (UID 10 FLAGS (\\Seen $Forwarded) INTERNALDATE \"01-Mar-2024 12:00:00 +0000\" RFC822.SIZE 32)", transcript, StringComparison.Ordinal);
        Assert.Contains("* 2 FETCH (UID 15 FLAGS () INTERNALDATE \"02-Mar-2024 12:00:00 +0000\" RFC822.SIZE 32)", transcript, StringComparison.Ordinal);
        Assert.Contains("* 3 FETCH (UID 20 FLAGS (\\Flagged \\Seen Project2) INTERNALDATE \"03-Mar-2024 12:00:00 +0000\" RFC822.SIZE 30)", transcript, StringComparison.Ordinal);
        Assert.Contains("* STATUS \"Archiv/Entw&APw-rfe 2025\" (MESSAGES 1 UIDNEXT 8 UIDVALIDITY 1700000001)", transcript, StringComparison.Ordinal);
        Assert.Contains("c6 OK [APPENDUID 1700000000 21]", transcript, StringComparison.Ordinal);

        // UID 20 was stored with LF line ends (S=25): Dovecot's RFC822.SIZE 30 is our W=.
        Assert.Equal(25, root.Inbox.Scan().Single(e => e.Flags.HasFlag(MaildirFlags.Flagged)).Size);

        var uidlist = UidListFile.Read(root.Path).Value;
        Assert.Equal([10u, 15u, 20u, 21u], uidlist.Records.Select(r => r.Uid));
        Assert.Equal(22u, uidlist.NextUid);
        var appended = root.Inbox.Find(uidlist.FindByUid(21)!.BaseName)!;
        Assert.Equal(MaildirFlags.Seen, appended.Flags);
    }

    private static async Task WriteTree(MaildirRoot root)
    {
        var options = new DotLockOptions();
        var time = TimeProvider.System;
        var names = new MaildirNameGenerator(time, 4242, "appliance");
        await root.InitializeAsync(options, time, CancellationToken.None);
        var archive = root.CreateFolder(Name("Archiv/Entwürfe 2025")).Value;
        await SubscriptionsFile.SetSubscribedAsync(root.Path, Name("Archiv/Entwürfe 2025"), true, options, time, CancellationToken.None);

        var forwarded = (await KeywordsFile.GetOrAddAsync(root.Path, "$Forwarded", options, time, CancellationToken.None)).Value;
        _ = (await KeywordsFile.GetOrAddAsync(root.Path, "Project1", options, time, CancellationToken.None)).Value;
        var project2 = (await KeywordsFile.GetOrAddAsync(root.Path, "Project2", options, time, CancellationToken.None)).Value;

        var inbox = new List<UidListRecord>();
        inbox.Add(new UidListRecord(10, (await Deliver(root.Inbox, names, "one", MaildirFlags.Seen, [forwarded], 1)).BaseName));
        inbox.Add(new UidListRecord(15, (await Deliver(root.Inbox, names, "two", MaildirFlags.None, [], 2)).BaseName));
        // LF line ends: W= (and Dovecot's RFC822.SIZE) count them as CRLF.
        inbox.Add(new UidListRecord(20, (await Deliver(root.Inbox, names, "3\n", MaildirFlags.Seen | MaildirFlags.Flagged, [project2], 3, lf: true)).BaseName));
        using (var held = await UidListLock.AcquireAsync(root.Path, options, time, CancellationToken.None))
        {
            // Header N10 lags behind the records, as after Dovecot's own appends: UIDNEXT must still be 21.
            await UidListFile.WriteAsync(held, UidList.Create(1700000000, nextUid: 10), CancellationToken.None);
            Assert.True((await UidListFile.AddAsync(held, inbox, CancellationToken.None)).Succeeded);
        }

        var draft = await Deliver(archive, names, "draft", MaildirFlags.Draft, [], 4);
        using (var held = await UidListLock.AcquireAsync(archive.Path, options, time, CancellationToken.None))
        {
            var list = UidList.Create(1700000001, nextUid: 8).WithRecords([new UidListRecord(7, draft.BaseName)]).Value;
            await UidListFile.WriteAsync(held, list, CancellationToken.None);
        }
    }

    private static async Task<MaildirEntry> Deliver(
        MaildirFolder folder, MaildirNameGenerator names, string body, MaildirFlags flags, int[] keywords, int day, bool lf = false)
    {
        var eol = lf ? "\n" : "\r\n";
        await using var delivery = folder.BeginDelivery(names);
        await delivery.Body.WriteAsync(Encoding.ASCII.GetBytes($"Subject: {body.Trim()}{eol}From: a@b{eol}{eol}{body}{eol}"));
        return await delivery.CommitAsync(flags, keywords, new DateTimeOffset(2024, 3, day, 12, 0, 0, TimeSpan.Zero));
    }

    private static async Task<string> RunDovecot(TempDirectory home, params string[] commands)
    {
        var config = home.Combine("dovecot.conf");
        await File.WriteAllTextAsync(config, $$"""
            mail_location = maildir:~/Maildir
            namespace inbox {
              inbox = yes
              separator = /
            }
            log_path = {{home.Combine("dovecot.log")}}
            ssl = no

            """);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await Run("chown", "-R", "nobody", home.Path);
        }

        var imap = $"env -i HOME={home.Path} USER=nobody {DovecotImap} -c {config}";
        var start = asRoot ? new ProcessStartInfo("su", ["-s", "/bin/sh", "nobody", "-c", imap]) : new ProcessStartInfo("/bin/sh", ["-c", imap]);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        foreach (var command in commands)
        {
            await process.StandardInput.WriteAsync(command + "\r\n");
        }

        // stdin stays open until Dovecot exits after LOGOUT: EOF would make it stop before writing all its output.
        await process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        process.StandardInput.Close();
        var transcript = await output;
        Assert.True(transcript.Contains("c7 OK", StringComparison.Ordinal), transcript + await errors);
        return transcript;
    }

    private static async Task Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments))!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }
}
