using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Import;

/// <summary>
/// Three overlapping inboxes merged into one with <c>--dedupe</c>: a Message-ID is stored once, a message without
/// one is recognised by its body and key headers (its Received lines differ per copy), flags are merged into the
/// copy kept, and each run reports its counts (the very same bytes again are "skipped": already imported).
/// </summary>
public sealed class MergeImportTests(ImportFixture app) : IClassFixture<ImportFixture>
{
    private static string Message(string from, string id, string subject, string extra = "") =>
        $"From {from} Mon Jan  4 10:00:00 2021\n{extra}From: {from}\nSubject: {subject}\n{(id.Length > 0 ? $"Message-ID: <{id}>\n" : "")}Date: Mon, 4 Jan 2021 10:00:00 +0000\n\nbody of {subject}\n>From the quoted line\n\n";

    [Fact]
    public async Task Three_overlapping_mboxes_merge_without_duplicates_and_with_merged_flags()
    {
        var user = await app.UserAsync("merged");
        var dir = app.Scratch("merge");
        var a = Path.Combine(dir, "a.mbox");
        var b = Path.Combine(dir, "b.mbox");
        var c = Path.Combine(dir, "c.mbox");
        await File.WriteAllTextAsync(a, Message("x@example.net", "m1@x", "one") + Message("x@example.net", "m2@x", "two") + Message("x@example.net", "m3@x", "three"));
        await File.WriteAllTextAsync(b,
            Message("x@example.net", "m2@x", "two", "Received: by b.example\nStatus: RO\n") + Message("x@example.net", "m3@x", "three", "Received: by b.example\n")
            + Message("x@example.net", "m4@x", "four") + Message("y@example.net", "", "no id", "Received: by b.example\n"));
        await File.WriteAllTextAsync(c,
            Message("x@example.net", "m1@x", "one", "X-Status: F\n") + Message("y@example.net", "", "no id", "Received: by c.example\n") + Message("x@example.net", "m5@x", "five"));

        async Task<string> Import(string file)
        {
            var result = await app.Cli.RunAsync(["import", "mbox", file, "--user", user, "--dedupe"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            return result.Output;
        }

        Assert.EndsWith("imported 3, duplicates 0, skipped 0, failed 0\n", await Import(a), StringComparison.Ordinal);
        Assert.EndsWith("imported 2, duplicates 2, skipped 0, failed 0\n", await Import(b), StringComparison.Ordinal);
        // c's m1 has the very bytes a's had (X-Status is the mbox's, not the message's): skipped, its flag merged.
        Assert.EndsWith("imported 1, duplicates 1, skipped 1, failed 0\n", await Import(c), StringComparison.Ordinal);
        // Again: nothing new; the copy that was a duplicate is one still.
        Assert.EndsWith("imported 0, duplicates 1, skipped 2, failed 0\n", await Import(c), StringComparison.Ordinal);

        await using var imap = await ImapClientScript.LoginAsync(app.ImapPort, user);
        await imap.Send("s SELECT INBOX");
        Assert.Contains("* 6 EXISTS", await imap.Expect("s OK"));
        await imap.Send("f FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
        var fetch = Recent.Strip(string.Join("\n", await imap.Expect("f OK")));
        Assert.Contains("* 1 FETCH (FLAGS (\\Flagged)", fetch, StringComparison.Ordinal); // m1: flagged in c
        Assert.Contains("* 2 FETCH (FLAGS (\\Seen)", fetch, StringComparison.Ordinal); // m2: seen in b
        Assert.Single(fetch.Split('\n'), l => l.Contains("Subject: no id", StringComparison.Ordinal));
        // mboxrd quoting undone in a plain mbox.
        await imap.Send("b FETCH 1 (BODY.PEEK[TEXT])");
        Assert.Contains("From the quoted line", string.Join("\n", await imap.Expect("b OK")), StringComparison.Ordinal);
    }
}
