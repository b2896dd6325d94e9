using System.Text;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>STATUS (RFC 9051 §6.3.11) with SIZE (RFC 8438), HIGHESTMODSEQ (RFC 7162) and DELETED (RFC 9051).</summary>
public sealed class StatusTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Every_item()
    {
        var box = app.Fresh();
        var one = TranscriptFixture.Message("one");
        var two = TranscriptFixture.Message("two", "a longer body");
        await app.SeedAsync(box, one, two);
        await using var imap = await app.LoginAsync();
        await imap.Send($"a0 SELECT {box}");
        await imap.Expect("a0 OK");
        await imap.Send("a1 STORE 1 +FLAGS (\\Seen \\Deleted)");
        await imap.Expect("a1 OK");
        await imap.Send("a2 UNSELECT");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 STATUS {box} (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT SIZE HIGHESTMODSEQ DELETED)");
        var status = Assert.Single(await imap.Expect("a3 OK"));
        var size = Encoding.UTF8.GetByteCount(one) + Encoding.UTF8.GetByteCount(two);
        Assert.Matches($"^\\* STATUS \"?{box}\"? \\(MESSAGES 2 UIDNEXT 3 UIDVALIDITY \\d+ UNSEEN 1 RECENT 0 SIZE {size} HIGHESTMODSEQ \\d+ DELETED 1\\)$", status);
    }

    [Fact]
    public async Task Highestmodseq_grows_with_a_flag_change()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 STATUS {box} (HIGHESTMODSEQ)");
        var before = long.Parse(Between(Assert.Single(await imap.Expect("a1 OK")), "HIGHESTMODSEQ ", ")"));
        await using (var other = await app.LoginAsync())
        {
            await other.Send($"b1 SELECT {box}");
            await other.Expect("b1 OK");
            await other.Send("b2 STORE 1 +FLAGS.SILENT (\\Flagged)");
            await other.Expect("b2 OK");
        }

        await imap.Send($"a2 STATUS {box} (HIGHESTMODSEQ)");
        var after = long.Parse(Between(Assert.Single(await imap.Expect("a2 OK")), "HIGHESTMODSEQ ", ")"));
        Assert.True(after > before, $"{after} > {before}");
    }

    [Fact]
    public async Task Status_of_the_selected_mailbox_is_allowed()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 SELECT INBOX");
        await imap.Expect("a1 OK");
        await imap.Send("a2 STATUS INBOX (MESSAGES)");
        Assert.Single((await imap.Expect("a2 OK")).All("* STATUS"));
    }

    [Fact]
    public async Task Errors()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 STATUS nosuchbox (MESSAGES)");
        await imap.Expect("a1 NO");
        await imap.Send("a2 STATUS INBOX (X-UNKNOWN)");
        await imap.Expect("a2 BAD");
        await imap.Send("a3 STATUS INBOX ()");
        await imap.Expect("a3 BAD");
        await imap.Send("a4 STATUS INBOX MESSAGES");
        await imap.Expect("a4 BAD");
    }

    private static string Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[from..text.IndexOf(end, from, StringComparison.Ordinal)];
    }
}
