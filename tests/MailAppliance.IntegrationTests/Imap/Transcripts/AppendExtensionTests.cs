using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>
/// APPEND extensions: MULTIAPPEND (RFC 3502, all or nothing), CATENATE (RFC 4469, IMAP URLs of stored parts),
/// literal8 (RFC 3516: binary parts stored in base64) and APPENDLIMIT (RFC 7889).
/// </summary>
public sealed class AppendExtensionTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Multiappend_stores_every_message_with_one_appenduid()
    {
        var box = app.Fresh("ma");
        await using var imap = await app.LoginAsync();
        await imap.Send($"c1 CREATE {box}");
        await imap.Expect("c1 OK");
        var one = TranscriptFixture.Message("one");
        var two = TranscriptFixture.Message("two");
        await imap.SendRaw(Encoding.ASCII.GetBytes($"a1 APPEND {box} (\\Seen) {{{one.Length}+}}\r\n{one} {{{two.Length}+}}\r\n{two}\r\n"));
        var done = await imap.Expect("a1 OK [APPENDUID ");
        Assert.EndsWith(" 1:2] APPEND completed", done.Tagged, StringComparison.Ordinal);
        await imap.Send($"c2 STATUS {box} (MESSAGES)");
        Assert.Equal([$"* STATUS \"{box}\" (MESSAGES 2)"], await imap.Expect("c2 OK"));
    }

    [Fact]
    public async Task Catenate_joins_text_and_parts_of_stored_messages_and_a_bad_url_stores_nothing()
    {
        var box = app.Fresh("cat");
        await app.SeedAsync(box, "From: a@example.test\r\nSubject: base\r\n\r\noriginal body\r\n");
        await using var imap = await app.LoginAsync();
        await imap.Send($"s1 SELECT {box}");
        var selected = await imap.Expect("s1 OK");
        var validity = selected.First(l => l.StartsWith("* OK [UIDVALIDITY", StringComparison.Ordinal)).Split(' ')[3].TrimEnd(']');

        var text = "\r\nadded\r\n";
        await imap.SendRaw(Encoding.ASCII.GetBytes(
            $"c1 APPEND {box} CATENATE (URL \"/{box};UIDVALIDITY={validity}/;UID=1/;SECTION=HEADER\" TEXT {{{text.Length}+}}\r\n{text} URL \"/{box}/;UID=1/;SECTION=TEXT\")\r\n"));
        await imap.Expect("c1 OK [APPENDUID");
        await imap.Send("c2 FETCH 2 BODY.PEEK[]");
        var fetched = Assert.Single(await imap.Expect("c2 OK"), l => l.Contains("BODY[]", StringComparison.Ordinal));
        Assert.EndsWith("From: a@example.test\r\nSubject: base\r\n\r\n\r\nadded\r\noriginal body\r\n)", fetched, StringComparison.Ordinal);

        // MULTIAPPEND with one bad URL: NO [BADURL], and neither message is stored.
        await imap.SendRaw(Encoding.ASCII.GetBytes(
            $"c3 APPEND {box} CATENATE (URL \"/{box}/;UID=1\") CATENATE (URL \"/{box};UIDVALIDITY=1/;UID=1\")\r\n"));
        await imap.Expect("c3 NO [BADURL]");
        await imap.Send($"c4 STATUS {box} (MESSAGES)");
        Assert.Equal([$"* STATUS \"{box}\" (MESSAGES 2)"], await imap.Expect("c4 OK"));
        await imap.Send($"c5 APPEND {box}-missing CATENATE (URL \"/{box}/;UID=1\")");
        await imap.Expect("c5 NO [TRYCREATE]");
    }

    [Fact]
    public async Task A_binary_literal_is_stored_in_base64_and_served_decoded_by_binary()
    {
        var box = app.Fresh("bin");
        await using var imap = await app.LoginAsync();
        await imap.Send($"c1 CREATE {box}");
        await imap.Expect("c1 OK");
        var header = "From: a@example.test\r\nMime-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n";
        byte[] content = [0, (byte)'-', 0xE4, (byte)'\n', (byte)'\r', (byte)'\n', (byte)'\n'];
        var message = Encoding.ASCII.GetBytes(header).Concat(content).ToArray();
        await imap.SendRaw([.. Encoding.ASCII.GetBytes($"a1 APPEND {box} ~{{{message.Length}+}}\r\n"), .. message, .. "\r\n"u8.ToArray()]);
        await imap.Expect("a1 OK [APPENDUID");
        await imap.Send($"s1 SELECT {box}");
        await imap.Expect("s1 OK");
        await imap.Send("f1 FETCH 1 (BODY.PEEK[1] BINARY.SIZE[1])");
        var fetched = Assert.Single(await imap.Expect("f1 OK"));
        Assert.Equal("* 1 FETCH (BODY[1] {12}\r\nAC3kCg0KCg== BINARY.SIZE[1] 7)", fetched);
        await imap.Send("f2 FETCH 1 BINARY.PEEK[1]");
        Assert.StartsWith("* 1 FETCH (BINARY[1] ~{7}\r\n\0-", Assert.Single(await imap.Expect("f2 OK")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Appendlimit_is_announced_and_a_larger_literal_is_refused_before_it_is_sent()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("c1 CAPABILITY");
        Assert.Contains(" APPENDLIMIT=3145728", Assert.Single(await imap.Expect("c1 OK")), StringComparison.Ordinal);
        await imap.Send("c2 STATUS INBOX (APPENDLIMIT)");
        Assert.Equal(["* STATUS \"INBOX\" (APPENDLIMIT 3145728)"], await imap.Expect("c2 OK"));
        await imap.Send("a1 APPEND INBOX {4000000}");
        await imap.Expect("a1 NO [TOOBIG]");
    }
}
