using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>SEARCH and UID SEARCH (RFC 3501 §6.4.4 keys, RFC 9051 §6.4.4), ESEARCH (RFC 4731), MODSEQ (RFC 7162).</summary>
public sealed class SearchTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private const string One =
        "From: alice@example.net\r\nTo: bob@example.test\r\nSubject: apple pie\r\nDate: Wed, 1 Jan 2020 10:00:00 +0000\r\n\r\nThe crust is golden.\r\n";

    private const string Two =
        "From: Carol <carol@example.org>\r\nTo: alice@example.test\r\nCc: dave@example.test\r\nSubject: banana split\r\nX-Custom: yes\r\nDate: Tue, 15 Jun 2021 10:00:00 +0000\r\n\r\nWith ice cream.\r\n";

    private static readonly string Three =
        "From: alice@example.net\r\nTo: alice@example.test\r\nBcc: erin@example.test\r\nSubject: =?UTF-8?Q?Cherry_=C3=9Cber?=\r\nDate: Sat, 1 Jan 2022 10:00:00 +0000\r\n" +
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nFrüchte über alles.\r\n" + new string('.', 2000) + "\r\n";

    /// <summary>A fresh mailbox with three messages: 1 \Seen \Answered (2020), 2 \Flagged \Deleted $Label (2021), 3 \Draft large (2022).</summary>
    private async Task<ImapClientScript> SelectedAsync()
    {
        var box = app.Fresh();
        var imap = await app.LoginAsync();
        await imap.Send($"s0 CREATE {box}");
        await imap.Expect("s0 OK");
        await imap.SendLiteral($"s1 APPEND {box} (\\Seen \\Answered) \"01-Jan-2020 10:00:00 +0000\" ", One);
        await imap.Expect("s1 OK");
        await imap.SendLiteral($"s2 APPEND {box} (\\Flagged \\Deleted $Label) \"15-Jun-2021 10:00:00 +0000\" ", Two);
        await imap.Expect("s2 OK");
        await imap.SendLiteral($"s3 APPEND {box} (\\Draft) \"01-Jan-2022 10:00:00 +0000\" ", Encoding.UTF8.GetBytes(Three));
        await imap.Expect("s3 OK");
        await imap.Send($"s4 SELECT {box}");
        await imap.Expect("s4 OK");
        return imap;
    }

    private static async Task<string> Search(ImapClientScript imap, string criteria)
    {
        await imap.Send("q " + criteria);
        var reply = await imap.Expect("q OK");
        return Assert.Single(reply);
    }

    [Theory]
    [InlineData("ALL", "1 2 3")]
    [InlineData("ANSWERED", "1")]
    [InlineData("UNANSWERED", "2 3")]
    [InlineData("BCC erin", "3")]
    [InlineData("BEFORE 1-Jan-2021", "1")]
    [InlineData("ON 15-Jun-2021", "2")]
    [InlineData("SINCE 15-Jun-2021", "2 3")]
    [InlineData("BODY crust", "1")]
    [InlineData("BODY \"ICE CREAM\"", "2")]
    [InlineData("CC dave", "2")]
    [InlineData("DELETED", "2")]
    [InlineData("UNDELETED", "1 3")]
    [InlineData("DRAFT", "3")]
    [InlineData("UNDRAFT", "1 2")]
    [InlineData("FLAGGED", "2")]
    [InlineData("UNFLAGGED", "1 3")]
    [InlineData("FROM carol", "2")]
    [InlineData("FROM alice", "1 3")]
    [InlineData("HEADER X-Custom yes", "2")]
    [InlineData("HEADER X-Custom \"\"", "2")]
    [InlineData("KEYWORD $Label", "2")]
    [InlineData("UNKEYWORD $Label", "1 3")]
    [InlineData("LARGER 1500", "3")]
    [InlineData("SMALLER 1500", "1 2")]
    [InlineData("NEW", "2 3")]   // this session is the first to see them: \Recent (RFC 3501 §2.3.2), and NEW is RECENT UNSEEN
    [InlineData("OLD", "")]
    [InlineData("RECENT", "1 2 3")]
    [InlineData("SEEN", "1")]
    [InlineData("UNSEEN", "2 3")]
    [InlineData("SENTBEFORE 1-Jan-2021", "1")]
    [InlineData("SENTON 15-Jun-2021", "2")]
    [InlineData("SENTSINCE 1-Jan-2022", "3")]
    [InlineData("SUBJECT BANANA", "2")]
    [InlineData("TEXT crust", "1")]
    [InlineData("TEXT carol", "2")]
    [InlineData("TO bob", "1")]
    [InlineData("UID 2:3", "2 3")]
    [InlineData("1,3", "1 3")]
    [InlineData("2:*", "2 3")]
    [InlineData("NOT SEEN", "2 3")]
    [InlineData("OR SEEN FLAGGED", "1 2")]
    [InlineData("(FROM alice SEEN)", "1")]
    [InlineData("NOT (OR SEEN DRAFT)", "2")]
    [InlineData("OR (FROM carol) (SUBJECT cherry)", "2 3")]
    [InlineData("OR OR SEEN DRAFT FLAGGED UNDELETED", "1 3")]
    [InlineData("SUBJECT nothing-matches", "")]
    public async Task Search_key(string criteria, string expected)
    {
        await using var imap = await SelectedAsync();
        Assert.Equal(("* SEARCH " + expected).TrimEnd(), await Search(imap, "SEARCH " + criteria));
    }

    [Fact]
    public async Task Charset_utf8_with_a_literal_and_badcharset()
    {
        await using var imap = await SelectedAsync();
        Assert.Equal("* SEARCH 3", await Search(imap, "SEARCH CHARSET UTF-8 SUBJECT \"Über\""));
        await imap.SendLiteral("q2 SEARCH CHARSET UTF-8 BODY ", "über");
        Assert.Equal("* SEARCH 3", Assert.Single(await imap.Expect("q2 OK")));
        await imap.Send("q3 SEARCH CHARSET KOI8-R SUBJECT x");
        await imap.Expect("q3 NO [BADCHARSET");
    }

    [Fact]
    public async Task Esearch_return_options()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("e1 SEARCH RETURN (MIN MAX COUNT) UNDELETED");
        Assert.Equal("* ESEARCH (TAG \"e1\") MIN 1 MAX 3 COUNT 2", Assert.Single(await imap.Expect("e1 OK")));
        await imap.Send("e2 SEARCH RETURN (ALL) ALL");
        Assert.Equal("* ESEARCH (TAG \"e2\") ALL 1:3", Assert.Single(await imap.Expect("e2 OK")));
        await imap.Send("e3 SEARCH RETURN () 1,3");
        Assert.Equal("* ESEARCH (TAG \"e3\") ALL 1,3", Assert.Single(await imap.Expect("e3 OK")));
        await imap.Send("e4 UID SEARCH RETURN (COUNT) ALL");
        Assert.Equal("* ESEARCH (TAG \"e4\") UID COUNT 3", Assert.Single(await imap.Expect("e4 OK")));
        await imap.Send("e5 SEARCH RETURN (MIN COUNT) SUBJECT nothing");
        Assert.Equal("* ESEARCH (TAG \"e5\") COUNT 0", Assert.Single(await imap.Expect("e5 OK")));
        await imap.Send("e6 SEARCH RETURN (X-FOO) ALL");
        await imap.Expect("e6 BAD");
    }

    [Fact]
    public async Task Uid_search_answers_uids()
    {
        await using var imap = await SelectedAsync();
        // Message 2 is \Deleted too: UID EXPUNGE removes only UID 1.
        await imap.Send("x STORE 1 +FLAGS.SILENT (\\Deleted)");
        await imap.Expect("x OK");
        await imap.Send("y UID EXPUNGE 1");
        await imap.Expect("y OK");
        Assert.Equal("* SEARCH 2 3", await Search(imap, "UID SEARCH ALL"));
        Assert.Equal("* SEARCH 1 2", await Search(imap, "SEARCH ALL"));
        Assert.Equal("* SEARCH 3", await Search(imap, "UID SEARCH UID 3:*"));
    }

    [Fact]
    public async Task Modseq_search_reports_the_highest_modseq()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("m1 FETCH 3 (MODSEQ)");
        var reply = await imap.Expect("m1 OK");

        // RFC 7162 §3.1: FETCH MODSEQ enables CONDSTORE, which tells HIGHESTMODSEQ once.
        Assert.Matches(@"^\* OK \[HIGHESTMODSEQ \d+\]", reply[0]);
        var fetched = reply[1];
        var modseq = long.Parse(fetched[(fetched.IndexOf("MODSEQ (", StringComparison.Ordinal) + 8)..].TrimEnd(')'));
        await imap.Send("m2 STORE 1 +FLAGS.SILENT (\\Flagged)");
        await imap.Expect("m2 OK");
        var found = await Search(imap, $"SEARCH MODSEQ {modseq + 1}");
        Assert.Matches(@"^\* SEARCH 1 \(MODSEQ \d+\)$", found);
    }

    [Fact]
    public async Task Syntax_errors_are_bad()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("b1 SEARCH X-NOSUCHKEY");
        await imap.Expect("b1 BAD");
        await imap.Send("b2 SEARCH BEFORE yesterday");
        await imap.Expect("b2 BAD");
        await imap.Send("b3 SEARCH OR SEEN");
        await imap.Expect("b3 BAD");
        await imap.Send("b4 SEARCH (SEEN");
        await imap.Expect("b4 BAD");
        await imap.Send("b5 SEARCH LARGER x");
        await imap.Expect("b5 BAD");
        await imap.Send("b6 SEARCH");
        await imap.Expect("b6 BAD");
        await imap.Send("b7 SEARCH SEEN");
        await imap.Expect("b7 OK");
    }
}
