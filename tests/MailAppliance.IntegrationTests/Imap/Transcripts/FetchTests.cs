using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>FETCH and UID FETCH (RFC 9051 §6.4.5, §7.5.2; RFC 3501 §6.4.5 for RFC822.*), BINARY (RFC 3516), CONDSTORE (RFC 7162).</summary>
public sealed partial class FetchTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private const string Header =
        "From: \"Alice Example\" <alice@example.net>\r\n" +
        "To: bob@example.test, Carol <carol@example.test>\r\n" +
        "Cc: dave@example.test\r\n" +
        "Subject: Fetch test\r\n" +
        "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n" +
        "Message-ID: <fetch1@example.net>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"XX\"\r\n" +
        "\r\n";

    private const string Part1Mime = "Content-Type: text/plain; charset=us-ascii\r\n\r\n";

    private const string Text =
        "--XX\r\n" +
        Part1Mime +
        "Hello body.\r\n" +
        "--XX\r\n" +
        "Content-Type: application/octet-stream; name=\"data.bin\"\r\n" +
        "Content-Transfer-Encoding: base64\r\n" +
        "\r\n" +
        "AAECAwQFBgc=\r\n" +
        "--XX--\r\n";

    private const string Message = Header + Text;

    /// <summary>A fresh mailbox holding the multipart message (UID 1) and a plain one (UID 2), selected.</summary>
    private async Task<ImapClientScript> SelectedAsync(bool condStore = false)
    {
        var box = app.Fresh();
        await app.SeedAsync(box, Message, TranscriptFixture.Message("plain"));
        var imap = await app.LoginAsync();
        await imap.Send($"s1 SELECT {box}" + (condStore ? " (CONDSTORE)" : ""));
        await imap.Expect("s1 OK");
        return imap;
    }

    private static async Task<string> Fetch(ImapClientScript imap, string command)
    {
        await imap.Send("f " + command);
        var reply = await imap.Expect("f OK");
        return Assert.Single(reply);
    }

    [Fact]
    public async Task Flags_uid_internaldate_size()
    {
        await using var imap = await SelectedAsync();
        Assert.Equal("* 1 FETCH (FLAGS ())", await Fetch(imap, "FETCH 1 FLAGS"));
        Assert.Equal("* 2 FETCH (UID 2)", await Fetch(imap, "FETCH 2 (UID)"));
        Assert.Matches(@"^\* 1 FETCH \(INTERNALDATE ""[ \d]\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}""\)$", await Fetch(imap, "FETCH 1 INTERNALDATE"));
        Assert.Equal($"* 1 FETCH (RFC822.SIZE {Encoding.ASCII.GetByteCount(Message)})", await Fetch(imap, "FETCH 1 RFC822.SIZE"));
    }

    [Fact]
    public async Task Whole_message_sections_are_served_in_crlf_form_as_the_section_resolver_serves_them()
    {
        // BODY[] and RFC822 take a short way (the file streamed as it is, no part structure); a partial BODY[]<…>
        // takes the section resolver's: both give the same bytes, in RFC822.SIZE octets, for a file with bare LFs.
        var box = app.Fresh();
        await app.SeedAsync(box, "Subject: bare\n\nline one\nline two\r\n.dot\n");
        await using var imap = await app.LoginAsync();
        await imap.Send($"s1 SELECT {box}");
        await imap.Expect("s1 OK");
        const string crlf = "Subject: bare\r\n\r\nline one\r\nline two\r\n.dot\r\n";
        Assert.Equal($"* 1 FETCH (RFC822.SIZE {crlf.Length})", await Fetch(imap, "FETCH 1 RFC822.SIZE"));
        Assert.Equal($"* 1 FETCH (BODY[] {{{crlf.Length}}}\r\n{crlf})", await Fetch(imap, "FETCH 1 BODY.PEEK[]"));
        Assert.Equal($"* 1 FETCH (BODY[]<0> {{{crlf.Length}}}\r\n{crlf})", await Fetch(imap, "FETCH 1 BODY.PEEK[]<0.1000>"));
        Assert.Equal($"* 1 FETCH (RFC822 {{{crlf.Length}}}\r\n{crlf} FLAGS (\\Seen))", await Fetch(imap, "FETCH 1 RFC822"));
    }

    [Fact]
    public async Task Envelope()
    {
        await using var imap = await SelectedAsync();
        var alice = "((\"Alice Example\" NIL \"alice\" \"example.net\"))";
        Assert.Equal(
            "* 1 FETCH (ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"Fetch test\" " + alice + " " + alice + " " + alice + " " +
            "((NIL NIL \"bob\" \"example.test\")(\"Carol\" NIL \"carol\" \"example.test\")) ((NIL NIL \"dave\" \"example.test\")) NIL NIL \"<fetch1@example.net>\"))",
            await Fetch(imap, "FETCH 1 ENVELOPE"));
    }

    [Fact]
    public async Task Bodystructure_and_body()
    {
        await using var imap = await SelectedAsync();
        var structure = await Fetch(imap, "FETCH 1 BODYSTRUCTURE");
        Assert.Matches(
            @"^\* 1 FETCH \(BODYSTRUCTURE \(\(""TEXT"" ""PLAIN"" \(""CHARSET"" ""us-ascii""\) NIL NIL ""7BIT"" 11 [01] .*\)\(""APPLICATION"" ""OCTET-STREAM"" \(""NAME"" ""data.bin""\) NIL NIL ""BASE64"" 12 .*\) ""MIXED"" \(""BOUNDARY"" ""XX""\).*\)\)$",
            structure.ToUpperInvariant().Replace("US-ASCII", "us-ascii", StringComparison.Ordinal).Replace("DATA.BIN", "data.bin", StringComparison.Ordinal));
        var body = await Fetch(imap, "FETCH 1 BODY");
        // BODY is the non-extensible form: no parameters after the subtype of a multipart.
        Assert.Matches(@"^\* 1 FETCH \(BODY \(\(""TEXT"" ""PLAIN"" \(""CHARSET"" ""us-ascii""\) NIL NIL ""7BIT"" 11 [01]\)\(""APPLICATION"" ""OCTET-STREAM"" \(""NAME"" ""data.bin""\) NIL NIL ""BASE64"" 12\) ""MIXED""\)\)$",
            body.ToUpperInvariant().Replace("US-ASCII", "us-ascii", StringComparison.Ordinal).Replace("DATA.BIN", "data.bin", StringComparison.Ordinal));
        Assert.Matches(@"^\* 2 FETCH \(BODYSTRUCTURE \(""TEXT"" ""PLAIN"" .*\)\)$", (await Fetch(imap, "FETCH 2 BODYSTRUCTURE")).ToUpperInvariant());
    }

    [Fact]
    public async Task Rfc822_items()
    {
        await using var imap = await SelectedAsync();
        Assert.Equal($"* 1 FETCH (RFC822.HEADER {{{Header.Length}}}\r\n{Header})", await Fetch(imap, "FETCH 1 RFC822.HEADER"));
        Assert.Equal("* 1 FETCH (FLAGS ())", await Fetch(imap, "FETCH 1 FLAGS"));
        var text = await Fetch(imap, "FETCH 1 RFC822.TEXT");
        Assert.Contains($"RFC822.TEXT {{{Text.Length}}}\r\n{Text}", text, StringComparison.Ordinal);
        Assert.Contains("\\Seen", text, StringComparison.Ordinal);
        var whole = await Fetch(imap, "FETCH 2 RFC822");
        Assert.Contains("RFC822 {", whole, StringComparison.Ordinal);
        Assert.Contains("\\Seen", whole, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_sets_seen_but_peek_does_not()
    {
        await using var imap = await SelectedAsync();
        Assert.Equal($"* 1 FETCH (BODY[] {{{Message.Length}}}\r\n{Message})", await Fetch(imap, "FETCH 1 BODY.PEEK[]"));
        Assert.Equal("* 1 FETCH (FLAGS ())", await Fetch(imap, "FETCH 1 FLAGS"));
        var fetched = await Fetch(imap, "FETCH 1 BODY[]");
        Assert.Contains($"BODY[] {{{Message.Length}}}\r\n{Message}", fetched, StringComparison.Ordinal);
        Assert.Contains("FLAGS (\\Seen)", fetched, StringComparison.Ordinal);
        Assert.Equal("* 1 FETCH (FLAGS (\\Seen))", await Fetch(imap, "FETCH 1 FLAGS"));
    }

    [Fact]
    public async Task Header_sections()
    {
        await using var imap = await SelectedAsync();
        Assert.Equal($"* 1 FETCH (BODY[HEADER] {{{Header.Length}}}\r\n{Header})", await Fetch(imap, "FETCH 1 BODY.PEEK[HEADER]"));
        var fields = "Subject: Fetch test\r\nCc: dave@example.test\r\n\r\n";
        var some = await Fetch(imap, "FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject CC X-Missing)]");
        Assert.Matches(@"^\* 1 FETCH \(BODY\[HEADER\.FIELDS \((?i:subject cc x-missing)\)\] \{\d+\}", some);
        var expected = "Cc: dave@example.test\r\nSubject: Fetch test\r\n\r\n";
        Assert.True(some.EndsWith($"{{{expected.Length}}}\r\n{expected})", StringComparison.Ordinal), some);
        _ = fields;
        var not = await Fetch(imap, "FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Subject Message-ID Content-Type MIME-Version Date)]");
        var rest = "From: \"Alice Example\" <alice@example.net>\r\nTo: bob@example.test, Carol <carol@example.test>\r\nCc: dave@example.test\r\n\r\n";
        Assert.True(not.EndsWith($"{{{rest.Length}}}\r\n{rest})", StringComparison.Ordinal), not);
    }

    [Fact]
    public async Task Text_parts_mime_and_partials()
    {
        await using var imap = await SelectedAsync();
        Assert.Equal($"* 1 FETCH (BODY[TEXT] {{{Text.Length}}}\r\n{Text})", await Fetch(imap, "FETCH 1 BODY.PEEK[TEXT]"));
        Assert.Equal("* 1 FETCH (BODY[1] {11}\r\nHello body.)", await Fetch(imap, "FETCH 1 BODY.PEEK[1]"));
        Assert.Equal($"* 1 FETCH (BODY[1.MIME] {{{Part1Mime.Length}}}\r\n{Part1Mime})", await Fetch(imap, "FETCH 1 BODY.PEEK[1.MIME]"));
        Assert.Equal("* 1 FETCH (BODY[2] {12}\r\nAAECAwQFBgc=)", await Fetch(imap, "FETCH 1 BODY.PEEK[2]"));
        Assert.Equal("* 1 FETCH (BODY[]<0> {10}\r\nFrom: \"Ali)", await Fetch(imap, "FETCH 1 BODY.PEEK[]<0.10>"));
        Assert.Equal("* 1 FETCH (BODY[1]<6> {5}\r\nbody.)", await Fetch(imap, "FETCH 1 BODY.PEEK[1]<6.100>"));
        Assert.Matches(@"^\* 1 FETCH \(BODY\[1\]<500> (""""|\{0\}\r\n)\)$", await Fetch(imap, "FETCH 1 BODY.PEEK[1]<500.10>"));
        // A section that does not exist is empty (RFC 9051 §6.4.5 leaves it to the server; NIL or "" both parse).
        Assert.Matches(@"^\* 1 FETCH \(BODY\[9\] (NIL|""""|\{0\}\r\n)\)$", await Fetch(imap, "FETCH 1 BODY.PEEK[9]"));
    }

    [Fact]
    public async Task Binary_decodes_the_transfer_encoding()
    {
        await using var imap = await SelectedAsync();
        var binary = await Fetch(imap, "FETCH 1 BINARY.PEEK[2]");
        Assert.Equal("* 1 FETCH (BINARY[2] ~{8}\r\n\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007)", binary);
        Assert.Equal("* 1 FETCH (BINARY.SIZE[2] 8)", await Fetch(imap, "FETCH 1 BINARY.SIZE[2]"));
        Assert.Equal("* 1 FETCH (BINARY[1] {11}\r\nHello body.)", await Fetch(imap, "FETCH 1 BINARY.PEEK[1]"));
        Assert.Equal("* 1 FETCH (FLAGS ())", await Fetch(imap, "FETCH 1 FLAGS"));
        Assert.Contains("\\Seen", await Fetch(imap, "FETCH 1 BINARY[1]"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Macros_all_fast_full()
    {
        await using var imap = await SelectedAsync();
        var fast = await Fetch(imap, "FETCH 2 FAST");
        Assert.Contains("FLAGS ()", fast, StringComparison.Ordinal);
        Assert.Contains("INTERNALDATE", fast, StringComparison.Ordinal);
        Assert.Contains("RFC822.SIZE", fast, StringComparison.Ordinal);
        Assert.Contains("ENVELOPE", await Fetch(imap, "FETCH 2 ALL"), StringComparison.Ordinal);
        Assert.Contains("BODY (", await Fetch(imap, "FETCH 2 FULL"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uid_fetch_always_includes_the_uid_and_ignores_missing_uids()
    {
        await using var imap = await SelectedAsync();
        Assert.Equal("* 2 FETCH (UID 2 FLAGS ())", await Fetch(imap, "UID FETCH 2 FLAGS"));
        await imap.Send("u UID FETCH 50:60 FLAGS");
        Assert.Empty(await imap.Expect("u OK"));
        await imap.Send("v UID FETCH 2:* UID");
        Assert.Equal(["* 2 FETCH (UID 2)"], await imap.Expect("v OK"));
    }

    [Fact]
    public async Task Modseq_and_changedsince()
    {
        await using var imap = await SelectedAsync(condStore: true);
        var modseq = long.Parse(ModSeq().Match(await Fetch(imap, "FETCH 1 (MODSEQ)")).Groups[1].Value);
        await imap.Send("st STORE 2 +FLAGS.SILENT (\\Answered)");
        await imap.Expect("st OK");
        await imap.Send($"c UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq})");
        var changed = Assert.Single(await imap.Expect("c OK"));
        Assert.Matches(@"^\* 2 FETCH \(UID 2 FLAGS \(\\Answered\) MODSEQ \(\d+\)\)$", changed);
    }

    [Fact]
    public async Task Bad_sequences_and_items_are_bad()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("b1 FETCH 99 FLAGS");
        await imap.Expect("b1 BAD");
        await imap.Send("b2 FETCH 0 FLAGS");
        await imap.Expect("b2 BAD");
        await imap.Send("b3 FETCH 1 (X-UNKNOWN)");
        await imap.Expect("b3 BAD");
        await imap.Send("b4 FETCH 1 BODY[HEADER.FIELDS]");
        await imap.Expect("b4 BAD");
        await imap.Send("b5 FETCH 1 BODY[]<5>");
        await imap.Expect("b5 BAD");
        await imap.Send("b6 FETCH a:b FLAGS");
        await imap.Expect("b6 BAD");
        await imap.Send("b7 FETCH 1");
        await imap.Expect("b7 BAD");
        await imap.Send("b8 FETCH 1 FLAGS");
        await imap.Expect("b8 OK");
    }

    [GeneratedRegex(@"MODSEQ \((\d+)\)")]
    private static partial Regex ModSeq();
}
