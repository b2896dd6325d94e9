using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>
/// SEARCH beyond RFC 3501: substring text keys with i;unicode-casemap (INTERFACE.md), CONTEXT=SEARCH (RFC 5267:
/// PARTIAL, UPDATE, CANCELUPDATE), SEARCHRES (RFC 5182: SAVE and "$"), WITHIN (RFC 5032) and ESEARCH with MODSEQ
/// (RFC 7162 §3.1.5).
/// </summary>
public sealed class SearchExtensionTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private const string Mixed =
        "From: \"Quoted, Name\" <q@example.test>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus   Berlin\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n" +
        "Content-Transfer-Encoding: quoted-printable\r\n\r\nLa caf=C3=A9 est ouverte; soft=\r\nbreak\r\n--b\r\n" +
        "Content-Type: application/octet-stream\r\nX-Part: bravo\r\n\r\ncharlie\r\n--b--\r\n";

    private async Task<ImapClientScript> SelectedAsync(params string[] messages)
    {
        var box = app.Fresh("sx");
        await app.SeedAsync(box, messages.Length > 0 ? messages : [Mixed, TranscriptFixture.Message("plain", "uber cafe")]);
        var imap = await app.LoginAsync();
        await imap.Send($"s1 SELECT {box}");
        await imap.Expect("s1 OK");
        return imap;
    }

    [Theory]
    [InlineData("BODY \"CAF\u00C9\"", "1")]            // case-insensitive, accents count: "cafe" in 2 does not match
    [InlineData("BODY cafe", "1 2")]                     // "café" decomposes to "cafe" + U+0301: a prefix of it matches
    [InlineData("BODY \"ouverte; soft\"", "1")]          // a substring, across words and punctuation
    [InlineData("BODY softbreak", "1")]                  // quoted-printable soft line break undone
    [InlineData("BODY charlie", "")]                     // not a text part
    [InlineData("BODY bravo", "")]                       // a MIME header is not body
    [InlineData("TEXT bravo", "1")]                      // but TEXT looks at every header
    [InlineData("TEXT \"x-part: bravo\"", "1")]
    [InlineData("SUBJECT \"aus berlin\"", "1")]          // white space of the field compared as one space
    [InlineData("HEADER Subject \"aus berlin\"", "")]    // HEADER compares the field as it is
    [InlineData("SUBJECT gr\u00FC\u00DFe", "1")]          // RFC 2047 decoded
    [InlineData("FROM \"quoted, name\"", "1")]
    [InlineData("FROM \"name <q@\"", "")]                // the address as written parsed: "Quoted, Name" <q@…>
    [InlineData("TEXT UBER", "2")]
    public async Task Substring_search_as_dovecot(string criteria, string expected)
    {
        await using var imap = await SelectedAsync();
        await imap.Send("q SEARCH CHARSET UTF-8 " + criteria);
        Assert.Equal([("* SEARCH " + expected).TrimEnd()], await imap.Expect("q OK"));
    }

    [Fact]
    public async Task Partial_gives_a_window_of_the_result()
    {
        await using var imap = await SelectedAsync(Enumerable.Range(1, 5).Select(i => TranscriptFixture.Message($"m{i}")).ToArray());
        await imap.Send("p1 SEARCH RETURN (PARTIAL 2:4) ALL");
        Assert.Equal(["* ESEARCH (TAG \"p1\") PARTIAL (2:4 2:4)"], await imap.Expect("p1 OK"));
        await imap.Send("p2 SEARCH RETURN (PARTIAL 6:9) ALL");
        Assert.Equal(["* ESEARCH (TAG \"p2\") PARTIAL (6:9 NIL)"], await imap.Expect("p2 OK"));
        await imap.Send("p3 SEARCH RETURN (PARTIAL 1:*) ALL");
        await imap.Expect("p3 BAD");
    }

    [Fact]
    public async Task Update_reports_additions_and_removals_until_cancelled()
    {
        await using var imap = await SelectedAsync(Enumerable.Range(1, 4).Select(i => TranscriptFixture.Message($"m{i}")).ToArray());
        await imap.Send("u1 SEARCH RETURN (UPDATE ALL) SEEN");
        Assert.Equal(["* ESEARCH (TAG \"u1\")"], await imap.Expect("u1 OK"));
        await imap.Send("u2 STORE 1,3 +FLAGS.SILENT (\\Seen)");
        Assert.Equal(["* ESEARCH (TAG \"u1\") ADDTO (0 1,3)"], await imap.Expect("u2 OK"));
        await imap.Send("u3 STORE 3:4 +FLAGS.SILENT (\\Deleted)");
        await imap.Expect("u3 OK");

        // The removal names the number the client still knows, so it comes before the EXPUNGE.
        await imap.Send("u4 EXPUNGE");
        Assert.Equal(["* ESEARCH (TAG \"u1\") REMOVEFROM (0 3)", "* 3 EXPUNGE", "* 3 EXPUNGE"], await imap.Expect("u4 OK"));
        await imap.Send("u5 CANCELUPDATE \"u1\"");
        await imap.Expect("u5 OK");
        await imap.Send("u6 STORE 2 +FLAGS.SILENT (\\Seen)");
        Assert.Empty(await imap.Expect("u6 OK"));
    }

    [Fact]
    public async Task Save_keeps_a_result_that_dollar_names_later()
    {
        await using var imap = await SelectedAsync(Enumerable.Range(1, 4).Select(i => TranscriptFixture.Message($"m{i}")).ToArray());
        await imap.Send("r1 SEARCH RETURN (SAVE) 2:3");
        Assert.Empty(await imap.Expect("r1 OK"));
        await imap.Send("r2 FETCH $ UID");
        Assert.Equal(["* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)"], await imap.Expect("r2 OK"));
        await imap.Send("r3 UID SEARCH UID $");
        Assert.Equal(["* SEARCH 2 3"], await imap.Expect("r3 OK"));
        await imap.Send("r4 SEARCH RETURN (SAVE MIN) ALL");
        Assert.Equal(["* ESEARCH (TAG \"r4\") MIN 1"], await imap.Expect("r4 OK"));
        await imap.Send("r5 STORE $ +FLAGS.SILENT (\\Flagged)");
        await imap.Expect("r5 OK");
        await imap.Send("r6 SEARCH FLAGGED");
        Assert.Equal(["* SEARCH 1"], await imap.Expect("r6 OK"));
    }

    [Fact]
    public async Task Within_compares_the_internal_date_with_now()
    {
        var box = app.Fresh("sx");
        await using var imap = await app.LoginAsync();
        await imap.Send($"c1 CREATE {box}");
        await imap.Expect("c1 OK");
        await imap.SendLiteral($"c2 APPEND {box} \"01-Jan-2000 00:00:00 +0000\" ", TranscriptFixture.Message("old"));
        await imap.Expect("c2 OK");
        await imap.SendLiteral($"c3 APPEND {box} ", TranscriptFixture.Message("new"));
        await imap.Expect("c3 OK");
        await imap.Send($"c4 SELECT {box}");
        await imap.Expect("c4 OK");
        await imap.Send("w1 SEARCH OLDER 86400");
        Assert.Equal(["* SEARCH 1"], await imap.Expect("w1 OK"));
        await imap.Send("w2 SEARCH YOUNGER 86400");
        Assert.Equal(["* SEARCH 2"], await imap.Expect("w2 OK"));
    }

    [Fact]
    public async Task Esearch_with_modseq_names_the_modseq_of_what_it_returns()
    {
        await using var imap = await SelectedAsync(Enumerable.Range(1, 3).Select(i => TranscriptFixture.Message($"m{i}")).ToArray());
        await imap.Send("m1 STORE 3 +FLAGS.SILENT (\\Seen)");
        await imap.Expect("m1 OK");
        await imap.Send("m2 STORE 1 +FLAGS.SILENT (\\Seen)");
        await imap.Expect("m2 OK");
        await imap.Send("m3 FETCH 1:3 (MODSEQ)");
        var modseqs = (await imap.Expect("m3 OK")).Where(l => l.Contains("FETCH", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("MODSEQ (", StringComparison.Ordinal) + 8)..].TrimEnd(')')).ToList();
        await imap.Send("m4 SEARCH RETURN (MIN) MODSEQ 1");
        Assert.Equal([$"* ESEARCH (TAG \"m4\") MIN 1 MODSEQ {modseqs[0]}"], await imap.Expect("m4 OK"));
        await imap.Send("m5 SEARCH RETURN (ALL) MODSEQ 1");
        Assert.Equal([$"* ESEARCH (TAG \"m5\") ALL 1:3 MODSEQ {modseqs.Max(long.Parse)}"], await imap.Expect("m5 OK"));
    }
}
