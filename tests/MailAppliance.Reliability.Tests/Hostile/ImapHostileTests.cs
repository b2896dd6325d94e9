using System.Text;

namespace MailAppliance.Reliability.Tests.Hostile;

/// <summary>Hostile IMAP clients: each gets BAD, NO or BYE, no exception text, and everyone else is served.</summary>
[Collection(HostileCollection.Name)]
public sealed class ImapHostileTests(HostileFixture app)
{
    private async Task<HostileClient> SelectedAsync()
    {
        var imap = await HostileClient.ConnectAsync(app.ImapPort, app.NextSourceAddress());
        await imap.ReadUntilAsync(@"^\* OK");
        await imap.SendAsync("l LOGIN alice@example.test pw\r\ns SELECT INBOX\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^s OK"));
        return imap;
    }

    [Fact]
    public async Task An_over_long_line_is_refused_and_the_connection_closed()
    {
        await using var imap = await SelectedAsync();
        await imap.TrySendAsync(Encoding.ASCII.GetBytes("a NOOP " + new string('A', 1 << 20) + "\r\n"));
        Assert.NotNull(await imap.ReadUntilAsync(@"^(\* BYE|a BAD)"));
        imap.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task A_literal_announced_at_4_gib_is_refused_before_any_byte()
    {
        await using var imap = await SelectedAsync();
        await imap.SendAsync("a APPEND INBOX {4294967296}\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^a NO \\[TOOBIG\\]"));
        await imap.SendAsync("b LOGIN {4294967296}\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^b BAD"));
        await imap.SendAsync("c NOOP\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^c OK"));

        // Non-synchronizing: the client sends the bytes anyway, so the server cannot stay in step and says BYE.
        await imap.SendAsync("d APPEND INBOX {4294967296+}\r\nxxxx");
        Assert.NotNull(await imap.ReadUntilAsync(@"^\* BYE"));
        imap.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task Deep_nesting_is_refused()
    {
        await using var imap = await SelectedAsync();
        await imap.SendAsync("a FETCH 1 " + new string('(', 10_000) + "FLAGS" + new string(')', 10_000) + "\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^a BAD"));
        await imap.SendAsync("b SEARCH " + new string('(', 5_000) + "ALL" + new string(')', 5_000) + "\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^b BAD"));
        await imap.SendAsync("c SEARCH " + string.Concat(Enumerable.Repeat("NOT ", 5_000)) + "ALL\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^c BAD"));
        imap.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task A_section_spec_of_10000_parts_is_answered_in_bounded_work()
    {
        await using var imap = await SelectedAsync();
        var spec = string.Join('.', Enumerable.Repeat("1", 10_000));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Two 20 KB specs: the command stays inside the 64 KiB line limit, so it reaches the parser and the fetch.
        await imap.SendAsync($"a FETCH 1 (BODY.PEEK[{spec}] BINARY.PEEK[{spec}.MIME])\r\nb FETCH 1 BODY.PEEK[{spec}.HEADER.FIELDS (From)]\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^a (OK|NO|BAD)"));
        Assert.NotNull(await imap.ReadUntilAsync("^b (OK|NO|BAD)"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        imap.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task A_search_of_10000_terms_is_answered()
    {
        await using var imap = await SelectedAsync();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await imap.SendAsync("a SEARCH " + string.Join(' ', Enumerable.Range(0, 10_000).Select(i => (i % 3) switch { 0 => "ALL", 1 => "SEEN", _ => "1:*" })) + "\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^a (OK|NO|BAD)"));
        await imap.SendAsync("b SEARCH " + string.Join(' ', Enumerable.Range(0, 5_000).Select(i => $"OR {i + 1} SEEN"))[..60_000] + "\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^b (OK|NO|BAD)"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        imap.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task Nul_bytes_and_invalid_utf8_are_refused()
    {
        await using var imap = await SelectedAsync();
        await imap.SendAsync([.. "a SELECT \"IN\0BOX\"\r\nb SELECT \""u8, 0xff, 0xfe, 0xc3, 0x28, .. "\"\r\nc STORE 1 +FLAGS (\\Seen\0)\r\nd NOOP\r\n"u8]);
        Assert.NotNull(await imap.ReadUntilAsync("^a (NO|BAD)"));
        Assert.NotNull(await imap.ReadUntilAsync("^b (NO|BAD)"));
        Assert.NotNull(await imap.ReadUntilAsync("^c (NO|BAD)"));
        Assert.NotNull(await imap.ReadUntilAsync("^d OK"));
        imap.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task A_thousand_pipelined_commands_get_a_thousand_replies()
    {
        await using var imap = await SelectedAsync();
        var batch = new StringBuilder();
        for (var i = 0; i < 1000; i++)
        {
            batch.Append(i % 2 == 0 ? $"n{i} NOOP\r\n" : $"n{i} FETCH 1 FLAGS\r\n");
        }

        await imap.SendAsync(batch.ToString());
        Assert.NotNull(await imap.ReadUntilAsync("^n999 OK"));
        Assert.Equal(1000, imap.Received.Split('\n').Count(l => l.StartsWith('n') && l.Contains(" OK", StringComparison.Ordinal)));
        imap.AssertNoExceptionText();
    }

    /// <summary>
    /// Found by this test: a command continued by zero-length literals ("x {0}" lines) was collected without any
    /// bound on its text, so one command could hold unbounded memory.
    /// </summary>
    [Fact]
    public async Task A_command_continued_by_literals_forever_is_cut_off()
    {
        await using var imap = await SelectedAsync();
        var line = Encoding.ASCII.GetBytes(" " + new string('x', 8000) + " {0+}\r\n");
        var sent = 0L;
        await imap.SendAsync("a NOOP {0+}\r\n");
        while (sent < 64L << 20 && await imap.TrySendAsync(line))
        {
            sent += line.Length;
            if (imap.Received.Contains("a BAD", StringComparison.Ordinal) || imap.Received.Contains("* BYE", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.NotNull(await imap.ReadUntilAsync(@"^(a BAD|\* BYE)"));
        Assert.True(sent < 8L << 20, $"the server took {sent:N0} bytes of one command");
        imap.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }
}
