using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>SORT and THREAD (RFC 5256), SORT=DISPLAY (RFC 5957), ESORT and CONTEXT=SORT (RFC 5267).</summary>
public sealed class SortThreadTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private static string Message(string from, string subject, string date, string id, string? references = null, string size = "") =>
        $"From: {from}\r\nTo: someone@example.test\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{id}@example.test>\r\n"
        + (references is null ? "" : $"References: {references}\r\n") + $"\r\nbody{size}\r\n";

    /// <summary>
    /// 1 zed, "Re: plans", 3 Jan; 2 "Anna Able" &lt;anna@&gt;, "Plans", 1 Jan; 3 bob@, "[list] Fwd: plans", 2 Jan, larger;
    /// 4 carl@, "Other", 4 Jan, replying to 2.
    /// </summary>
    private async Task<ImapClientScript> SelectedAsync()
    {
        var box = app.Fresh("sort");
        await app.SeedAsync(box,
            Message("zed@example.test", "Re: plans", "Tue, 3 Jan 2023 10:00:00 +0000", "m1", "<m2@example.test>"),
            Message("Anna Able <anna@example.test>", "Plans", "Sun, 1 Jan 2023 10:00:00 +0000", "m2"),
            Message("bob@example.test", "[list] Fwd: plans", "Mon, 2 Jan 2023 10:00:00 +0000", "m3", size: new string('x', 500)),
            Message("carl@example.test", "Other", "Wed, 4 Jan 2023 10:00:00 +0000", "m4", "<m2@example.test>"));
        var imap = await app.LoginAsync();
        await imap.Send($"s1 SELECT {box}");
        await imap.Expect("s1 OK");
        return imap;
    }

    [Theory]
    [InlineData("SORT (DATE) UTF-8 ALL", "* SORT 2 3 1 4")]
    [InlineData("SORT (REVERSE DATE) UTF-8 ALL", "* SORT 4 1 3 2")]
    [InlineData("SORT (FROM) UTF-8 ALL", "* SORT 2 3 4 1")]
    [InlineData("SORT (DISPLAYFROM) UTF-8 ALL", "* SORT 2 3 4 1")]
    [InlineData("SORT (SUBJECT DATE) UTF-8 ALL", "* SORT 4 2 3 1")]
    [InlineData("SORT (REVERSE SIZE) UTF-8 ALL", "* SORT 3 1 4 2")]
    [InlineData("SORT (ARRIVAL) US-ASCII SUBJECT plans", "* SORT 1 2 3")]
    [InlineData("UID SORT (DATE) UTF-8 2:4", "* SORT 2 3 4")]
    [InlineData("THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD (2 (3)(1))(4)")]
    [InlineData("THREAD REFERENCES UTF-8 ALL", "* THREAD (2 (3)(1)(4))")]
    public async Task Sort_and_thread(string command, string expected)
    {
        await using var imap = await SelectedAsync();
        await imap.Send("q " + command);
        Assert.Equal([expected], await imap.Expect("q OK"));
    }

    [Fact]
    public async Task Esort_and_partial_answer_with_esearch_in_sort_order()
    {
        await using var imap = await SelectedAsync();
        await imap.Send("e1 SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL");
        Assert.Equal(["* ESEARCH (TAG \"e1\") MIN 2 MAX 4 COUNT 4 ALL 2:3,1,4"], await imap.Expect("e1 OK"));
        await imap.Send("e2 SORT RETURN (PARTIAL 2:3) (REVERSE DATE) UTF-8 ALL");
        Assert.Equal(["* ESEARCH (TAG \"e2\") PARTIAL (2:3 1,3)"], await imap.Expect("e2 OK"));
        await imap.Send("e3 SORT (BOGUS) UTF-8 ALL");
        await imap.Expect("e3 BAD");
        await imap.Send("e4 SORT (DATE) KOI8-R ALL");
        await imap.Expect("e4 NO [BADCHARSET");
        await imap.Send("e5 THREAD NOSUCH UTF-8 ALL");
        await imap.Expect("e5 BAD");
    }
}
