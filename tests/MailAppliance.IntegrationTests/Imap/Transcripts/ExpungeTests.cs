using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1).</summary>
public sealed class ExpungeTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private async Task<ImapClientScript> SelectedAsync(string command = "SELECT")
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"), TranscriptFixture.Message("two"), TranscriptFixture.Message("three"), TranscriptFixture.Message("four"));
        var imap = await app.LoginAsync();
        await imap.Send($"s1 {command} {box}");
        await imap.Expect("s1 OK");
        return imap;
    }

    [Fact]
    public async Task Expunge_removes_deleted_messages_and_renumbers()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("a1 STORE 2,3 +FLAGS.SILENT (\\Deleted)");
        await imap.Expect("a1 OK");
        await imap.Send("a2 EXPUNGE");
        var reply = await imap.Expect("a2 OK");
        // Each EXPUNGE renumbers the rest: removing 2 and 3 is "2 EXPUNGE" twice or "3" then "2".
        Assert.True(reply.SequenceEqual(["* 2 EXPUNGE", "* 2 EXPUNGE"]) || reply.SequenceEqual(["* 3 EXPUNGE", "* 2 EXPUNGE"]), reply.ToString());
        await imap.Send("a3 FETCH 1:* UID");
        Assert.Equal(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 4)"], await imap.Expect("a3 OK"));
    }

    [Fact]
    public async Task Expunge_with_nothing_deleted()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("a1 EXPUNGE");
        Assert.Empty(await imap.Expect("a1 OK"));
    }

    [Fact]
    public async Task Uid_expunge_only_removes_the_given_uids()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("a1 STORE 1:3 +FLAGS.SILENT (\\Deleted)");
        await imap.Expect("a1 OK");
        await imap.Send("a2 UID EXPUNGE 2:4");
        var reply = await imap.Expect("a2 OK");
        Assert.True(reply.SequenceEqual(["* 2 EXPUNGE", "* 2 EXPUNGE"]) || reply.SequenceEqual(["* 3 EXPUNGE", "* 2 EXPUNGE"]), reply.ToString());
        await imap.Send("a3 FETCH 1:* (UID FLAGS)");
        Assert.Equal(["* 1 FETCH (UID 1 FLAGS (\\Deleted))", "* 2 FETCH (UID 4 FLAGS ())"], await imap.Expect("a3 OK"));
    }

    [Fact]
    public async Task Expunge_in_a_read_only_mailbox_is_refused()
    {
        await using var imap = await SelectedAsync("EXAMINE");
        await imap.Send("a1 EXPUNGE");
        await imap.Expect("a1 NO");
    }

    [Fact]
    public async Task Syntax_errors()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("a1 EXPUNGE 1");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 UID EXPUNGE");
        await imap.Expect("a2 BAD");
        await imap.Send("a3 UNSELECT");
        await imap.Expect("a3 OK");
        await imap.Send("a4 EXPUNGE");
        await imap.Expect("a4 BAD");
    }

    [Fact]
    public async Task A_message_file_the_disk_cannot_read_is_served_as_nil_and_the_session_goes_on()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"), TranscriptFixture.Message("two"));
        var folder = Path.Combine(app.DataDirectory, "mail", "example.test", "alice", "Maildir", "." + box);
        var two = new[] { "new", "cur" }.SelectMany(d => Directory.GetFiles(Path.Combine(folder, d)))
            .Single(f => File.ReadAllText(f).Contains("Subject: two", StringComparison.Ordinal));

        // A link to itself: stat and open fail with ELOOP, an I/O error that is neither "not found" nor the socket's.
        File.Delete(two);
        File.CreateSymbolicLink(two, two);

        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 SELECT {box}");
        await imap.Expect("a1 OK");
        await imap.Send("a2 FETCH 1:2 (UID BODY.PEEK[])");
        var fetched = await imap.Expect("a2 OK FETCH completed; some message files could not be read");
        Assert.Contains(fetched, line => line.StartsWith("* 2 FETCH (UID 2 BODY[] NIL)", StringComparison.Ordinal));
        await imap.Send("a3 STORE 2 +FLAGS.SILENT (\\Deleted)");
        await imap.Expect("a3 OK");
        await imap.Send("a4 EXPUNGE");
        await imap.Expect("a4 OK");
        await imap.Send("a5 FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
        var rest = await imap.Expect("a5 OK FETCH completed");
        Assert.Contains(rest, line => line.Contains("UID 1", StringComparison.Ordinal));
    }
}
