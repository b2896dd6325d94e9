using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>
/// METADATA (RFC 5464), PREVIEW (RFC 8970), OBJECTID (RFC 8474), CREATE-SPECIAL-USE (RFC 6154 §3), COMPRESS=DEFLATE
/// (RFC 4978) and the capabilities that announce them.
/// </summary>
public sealed class MetadataPreviewCompressTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task The_extensions_are_announced_after_login()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("c1 CAPABILITY");
        var capabilities = Assert.Single(await imap.Expect("c1 OK")).Split(' ');
        foreach (var name in new[]
        {
            "SORT", "SORT=DISPLAY", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT", "ESORT", "CONTEXT=SEARCH", "CONTEXT=SORT", "SEARCHRES",
            "CATENATE", "MULTIAPPEND", "LIST-STATUS", "CONDSTORE", "QRESYNC", "NOTIFY", "METADATA", "METADATA-SERVER", "PREVIEW", "OBJECTID",
            "STATUS=SIZE", "LITERAL+", "LITERAL-", "WITHIN", "COMPRESS=DEFLATE", "SPECIAL-USE", "CREATE-SPECIAL-USE", "BINARY",
        })
        {
            Assert.Contains(name, capabilities);
        }
    }

    [Fact]
    public async Task Annotations_of_a_mailbox_and_of_the_server()
    {
        var box = app.Fresh("md");
        await using var imap = await app.LoginAsync();
        await imap.Send($"c1 CREATE {box}");
        await imap.Expect("c1 OK");
        await imap.Send($"m1 SETMETADATA {box} (/private/comment \"hello\" /shared/comment \"shared words\" /private/vendor/x/y \"deep\")");
        await imap.Expect("m1 OK");
        await imap.Send($"m2 GETMETADATA {box} (/private/comment /shared/comment)");
        Assert.Equal([$"* METADATA \"{box}\" (/private/comment \"hello\" /shared/comment \"shared words\")"], await imap.Expect("m2 OK"));
        await imap.Send($"m3 GETMETADATA (DEPTH infinity) {box} /private/vendor");
        Assert.Equal([$"* METADATA \"{box}\" (/private/vendor/x/y \"deep\")"], await imap.Expect("m3 OK"));
        await imap.Send($"m4 GETMETADATA (MAXSIZE 5) {box} (/private/comment /shared/comment)");
        var limited = await imap.Expect("m4 OK [METADATA LONGENTRIES 12]");
        Assert.Equal([$"* METADATA \"{box}\" (/private/comment \"hello\")"], limited);
        await imap.Send($"m5 SETMETADATA {box} (/private/comment NIL)");
        await imap.Expect("m5 OK");
        await imap.Send($"m6 GETMETADATA {box} /private/comment");
        Assert.Empty(await imap.Expect("m6 OK"));

        await imap.Send("s1 SETMETADATA \"\" (/shared/admin \"mailto:postmaster@example.test\")");
        await imap.Expect("s1 OK");
        await imap.Send("s2 GETMETADATA \"\" /shared/admin");
        Assert.Equal(["* METADATA \"\" (/shared/admin \"mailto:postmaster@example.test\")"], await imap.Expect("s2 OK"));
        await imap.Send("b1 SETMETADATA \"\" (/nowhere/x \"v\")");
        await imap.Expect("b1 BAD");
        await imap.Send("b2 GETMETADATA nosuchbox /private/comment");
        await imap.Expect("b2 NO [NONEXISTENT]");
        await imap.SendLiteral("b3 SETMETADATA \"\" (/private/big ", new string('x', 40_000), ")");
        await imap.Expect("b3 NO [METADATA MAXSIZE 32768]");
    }

    [Fact]
    public async Task Create_with_use_marks_the_mailbox_and_an_unknown_attribute_is_refused()
    {
        var box = app.Fresh("use");
        await using var imap = await app.LoginAsync();
        await imap.Send($"c1 CREATE {box} (USE (\\Archive \\Flagged))");
        await imap.Expect("c1 OK");
        await imap.Send($"c2 LIST \"\" {box}");
        Assert.Equal([$"* LIST (\\HasNoChildren \\Archive \\Flagged) \"/\" \"{box}\""], await imap.Expect("c2 OK"));
        await imap.Send("c3 LIST (SPECIAL-USE) \"\" *");
        Assert.Contains($"* LIST (\\HasNoChildren \\Archive \\Flagged) \"/\" \"{box}\"", await imap.Expect("c3 OK"));
        await imap.Send($"c4 GETMETADATA {box} /private/specialuse");
        Assert.Equal([$"* METADATA \"{box}\" (/private/specialuse \"\\\\Archive \\\\Flagged\")"], await imap.Expect("c4 OK"));
        await imap.Send($"c5 CREATE {box}-x (USE (\\Bogus))");
        await imap.Expect("c5 NO [USEATTR]");
    }

    [Fact]
    public async Task Preview_and_object_ids()
    {
        var box = app.Fresh("pv");
        await app.SeedAsync(box,
            "From: a@example.test\r\nSubject: html\r\nContent-Type: text/html\r\n\r\n<html><head><style>p{}</style></head><body><p>Hello &amp;\r\n   welcome</p></body></html>\r\n",
            TranscriptFixture.Message("long", new string('y', 300)));
        await using var imap = await app.LoginAsync();
        await imap.Send($"s1 SELECT {box}");
        var selected = await imap.Expect("s1 OK");
        var mailboxId = selected.First(l => l.StartsWith("* OK [MAILBOXID (", StringComparison.Ordinal))[17..].Split(')')[0];
        await imap.Send($"s2 STATUS {box} (MAILBOXID)");
        Assert.Equal([$"* STATUS \"{box}\" (MAILBOXID ({mailboxId}))"], await imap.Expect("s2 OK"));

        await imap.Send("p1 FETCH 1 (PREVIEW)");
        Assert.Equal(["* 1 FETCH (PREVIEW \"Hello & welcome\")"], await imap.Expect("p1 OK"));
        await imap.Send("p2 FETCH 2 (PREVIEW (LAZY))");
        Assert.Equal($"* 2 FETCH (PREVIEW \"{new string('y', 256)}\")", Assert.Single(await imap.Expect("p2 OK")));
        await imap.Send("o1 FETCH 1:2 (EMAILID THREADID)");
        var ids = await imap.Expect("o1 OK");
        Assert.All(ids, l => Assert.Matches(@"^\* \d FETCH \(EMAILID \(M[0-9a-f]{24}\) THREADID NIL\)$", l));
        Assert.NotEqual(ids[0][^40..], ids[1][^40..]);
    }

    [Fact]
    public async Task Compress_deflate_carries_the_rest_of_the_session()
    {
        var box = app.Fresh("z");
        await app.SeedAsync(box, TranscriptFixture.Message("compressed", new string('z', 5000)));
        await using var imap = await app.LoginAsync();
        await imap.Send("z1 COMPRESS DEFLATE");
        await imap.Expect("z1 OK");
        imap.StartCompression();
        await imap.Send($"z2 SELECT {box}");
        await imap.Expect("z2 OK");
        await imap.Send("z3 FETCH 1 BODY.PEEK[TEXT]");
        Assert.Contains(new string('z', 5000), Assert.Single(await imap.Expect("z3 OK")), StringComparison.Ordinal);
        await imap.Send("z4 CAPABILITY");
        Assert.DoesNotContain("COMPRESS=DEFLATE", Assert.Single(await imap.Expect("z4 OK")), StringComparison.Ordinal);
        await imap.Send("z5 COMPRESS DEFLATE");
        await imap.Expect("z5 NO [COMPRESSIONACTIVE]");
    }
}
