using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>APPEND (RFC 9051 §6.3.12) with APPENDUID (RFC 4315), LITERAL+ (RFC 7888), [TOOBIG] and [OVERQUOTA] (RFC 4469, RFC 9208).</summary>
public sealed class AppendTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Append_with_flags_and_date_answers_appenduid()
    {
        var box = app.Fresh();
        await using var imap = await app.LoginAsync();
        await imap.Send($"a0 CREATE {box}");
        await imap.Expect("a0 OK");
        await imap.SendLiteral($"a1 APPEND {box} (\\Seen \\Flagged $Label) \"14-Jul-2020 02:44:25 -0700\" ", TranscriptFixture.Message("dated"));
        var tagged = (await imap.Expect("a1 OK [APPENDUID ")).Tagged;
        Assert.Matches(@"^a1 OK \[APPENDUID \d+ 1\]", tagged);
        await imap.Send($"a2 SELECT {box}");
        await imap.Expect("a2 OK");
        await imap.Send("a3 FETCH 1 (FLAGS INTERNALDATE)");
        var fetch = (await imap.Expect("a3 OK")).Single("* 1 FETCH");
        Assert.Contains("\\Seen", fetch, StringComparison.Ordinal);
        Assert.Contains("\\Flagged", fetch, StringComparison.Ordinal);
        Assert.Contains("$Label", fetch, StringComparison.Ordinal);
        // The same instant; a server may keep it in another zone.
        var date = fetch[(fetch.IndexOf("INTERNALDATE \"", StringComparison.Ordinal) + 14)..];
        date = date[..date.IndexOf('"', StringComparison.Ordinal)];
        Assert.Equal(DateTimeOffset.Parse("2020-07-14T02:44:25-07:00", System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.ParseExact(date.Trim(), "d-MMM-yyyy HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Append_with_a_non_synchronizing_literal()
    {
        var box = app.Fresh();
        await using var imap = await app.LoginAsync();
        await imap.Send($"a0 CREATE {box}");
        await imap.Expect("a0 OK");
        await imap.SendLiteral($"a1 APPEND {box} ", TranscriptFixture.Message("plus"), synchronizing: false);
        await imap.Expect("a1 OK [APPENDUID");
        await imap.SendLiteral($"a2 APPEND {box} () ", TranscriptFixture.Message("plus two"), synchronizing: false);
        await imap.Expect("a2 OK");
        await imap.Send($"a3 STATUS {box} (MESSAGES)");
        Assert.Contains("MESSAGES 2", Assert.Single(await imap.Expect("a3 OK")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Append_to_the_selected_mailbox_reports_exists()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("first"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 SELECT {box}");
        await imap.Expect("a1 OK");
        await imap.SendLiteral($"a2 APPEND {box} ", TranscriptFixture.Message("second"));
        Assert.Contains("* 2 EXISTS", await imap.Expect("a2 OK"));
    }

    [Fact]
    public async Task Append_to_a_missing_mailbox_asks_to_create_it()
    {
        await using var imap = await app.LoginAsync();
        await imap.SendLiteral($"a1 APPEND {app.Fresh("missing")} ", TranscriptFixture.Message("x"));
        await imap.Expect("a1 NO [TRYCREATE]");
    }

    [Fact]
    public async Task Too_large_a_message_is_refused_before_the_literal()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 APPEND INBOX {4000000}");
        await imap.Expect("a1 NO [TOOBIG]");
        await imap.Send("a2 NOOP");
        await imap.Expect("a2 OK");
    }

    [Fact]
    public async Task Over_quota_is_refused()
    {
        await using var imap = await app.LoginAsync("bob@example.test");
        await imap.SendLiteral("a1 APPEND INBOX ", TranscriptFixture.Message("big", new string('x', 8000)));
        await imap.Expect("a1 NO [OVERQUOTA]");
        await imap.Send("a2 STATUS INBOX (MESSAGES)");
        Assert.Contains("MESSAGES 0", Assert.Single(await imap.Expect("a2 OK")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_flags_dates_and_missing_literals_are_bad()
    {
        await using var imap = await app.LoginAsync();
        await imap.SendLiteral("a1 APPEND INBOX (\\Recent) ", TranscriptFixture.Message("x"));
        await imap.Expect("a1 BAD");
        await imap.SendLiteral("a2 APPEND INBOX \"32-Foo-2020 99:00:00 +0000\" ", TranscriptFixture.Message("x"));
        await imap.Expect("a2 BAD");
        await imap.Send("a3 APPEND INBOX \"not a literal\"");
        await imap.Expect("a3 BAD");
        await imap.SendLiteral("a4 APPEND INBOX ", "");
        await imap.Expect("a4 NO");
    }

    [Fact]
    public async Task Binary_content_with_crlf_is_kept_byte_for_byte()
    {
        var box = app.Fresh();
        var message = TranscriptFixture.Message("bytes", "line one\r\nline two");
        await using var imap = await app.LoginAsync();
        await imap.Send($"a0 CREATE {box}");
        await imap.Expect("a0 OK");
        await imap.SendLiteral($"a1 APPEND {box} ", Encoding.UTF8.GetBytes(message));
        await imap.Expect("a1 OK");
        await imap.Send($"a2 EXAMINE {box}");
        await imap.Expect("a2 OK");
        await imap.Send("a3 FETCH 1 (RFC822.SIZE BODY.PEEK[])");
        var fetch = (await imap.Expect("a3 OK")).Single("* 1 FETCH");
        Assert.Contains($"RFC822.SIZE {Encoding.UTF8.GetByteCount(message)}", fetch, StringComparison.Ordinal);
        Assert.Contains($"BODY[] {{{Encoding.UTF8.GetByteCount(message)}}}\r\n{message})", fetch, StringComparison.Ordinal);
    }
}
