using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>QRESYNC (RFC 7162 §3.2) and NOTIFY (RFC 5465).</summary>
public sealed class QresyncNotifyTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Qresync_resynchronises_with_vanished_and_changed_flags()
    {
        var box = app.Fresh("qr");
        await app.SeedAsync(box, TranscriptFixture.Message("one"), TranscriptFixture.Message("two"), TranscriptFixture.Message("three"));
        await using var imap = await app.LoginAsync();
        await imap.Send("e1 ENABLE QRESYNC");
        Assert.Equal(["* ENABLED QRESYNC"], await imap.Expect("e1 OK"));
        await imap.Send($"s1 SELECT {box}");
        var selected = await imap.Expect("s1 OK");
        var validity = selected.First(l => l.StartsWith("* OK [UIDVALIDITY", StringComparison.Ordinal)).Split(' ')[3].TrimEnd(']');
        var modseq = selected.First(l => l.StartsWith("* OK [HIGHESTMODSEQ", StringComparison.Ordinal)).Split(' ')[3].TrimEnd(']');

        // Under QRESYNC, EXPUNGE reports VANISHED (RFC 7162 §3.2.10).
        await imap.Send("x1 STORE 1 +FLAGS.SILENT (\\Deleted)");
        await imap.Expect("x1 OK");
        await imap.Send("x2 EXPUNGE");
        Assert.Equal(["* VANISHED 1"], await imap.Expect("x2 OK"));
        await imap.Send("x3 STORE 1 +FLAGS.SILENT (\\Flagged)");
        await imap.Expect("x3 OK");
        await imap.Send("x4 UNSELECT");
        await imap.Expect("x4 OK");

        await imap.Send($"s2 SELECT {box} (QRESYNC ({validity} {modseq} 1:3))");
        var resync = await imap.Expect("s2 OK");
        Assert.Contains("* VANISHED (EARLIER) 1", resync);
        Assert.Contains(resync, l => l.StartsWith("* 1 FETCH (UID 2 FLAGS (\\Flagged) MODSEQ (", StringComparison.Ordinal));
        Assert.DoesNotContain(resync, l => l.Contains("UID 3", StringComparison.Ordinal));

        await imap.Send($"f1 UID FETCH 1:* FLAGS (CHANGEDSINCE {modseq} VANISHED)");
        var fetched = await imap.Expect("f1 OK");
        Assert.Equal("* VANISHED (EARLIER) 1", fetched[0]);
        await imap.Send($"s3 SELECT {box} (QRESYNC (1 1))");
        await imap.Expect("s3 OK");
    }

    [Fact]
    public async Task Notify_sends_status_for_other_mailboxes_and_list_for_new_ones()
    {
        var box = app.Fresh("nf");
        await app.SeedAsync(box, TranscriptFixture.Message("one"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"n1 NOTIFY SET STATUS (MAILBOXES {box} (MessageNew MessageExpunge)) (PERSONAL (MailboxName))");
        var status = await imap.Expect("n1 OK");
        Assert.Matches($@"^\* STATUS ""{box}"" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+\)$", Assert.Single(status));

        await imap.Send("i1 IDLE");
        await imap.ExpectContinuation();
        await using var other = await app.LoginAsync();
        await other.SendLiteral($"a1 APPEND {box} ", TranscriptFixture.Message("two"));
        await other.Expect("a1 OK");
        Assert.Matches($@"^\* STATUS ""{box}"" \(MESSAGES 2 UIDNEXT 3 UIDVALIDITY \d+\)$", await imap.ReadResponseAsync());
        await other.Send($"c1 CREATE {box}-child");
        await other.Expect("c1 OK");
        Assert.Equal($"* LIST () \"/\" \"{box}-child\"", await imap.ReadResponseAsync());
        await imap.Send("DONE");
        await imap.Expect("i1 OK");

        await imap.Send("n2 NOTIFY SET (SELECTED (AnnotationChange))");
        await imap.Expect("n2 NO [BADEVENT");
        await imap.Send("n3 NOTIFY NONE");
        await imap.Expect("n3 OK");
        await imap.Send("n4 NOTIFY SET (NOSUCHFILTER (MessageNew))");
        await imap.Expect("n4 BAD");
    }
}
