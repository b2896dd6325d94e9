using System.Text;

namespace MailAppliance.Reliability.Tests.Hostile;

/// <summary>Hostile SMTP clients: each gets a protocol error reply, no exception text, and everyone else is served.</summary>
[Collection(HostileCollection.Name)]
public sealed class SmtpHostileTests(HostileFixture app)
{
    private async Task<HostileClient> GreetedAsync()
    {
        var smtp = await HostileClient.ConnectAsync(app.SmtpPort, app.NextSourceAddress());
        await smtp.ReadUntilAsync("^220 ");
        await smtp.SendAsync("EHLO hostile.example\r\n");
        await smtp.ReadUntilAsync("^250 ");
        return smtp;
    }

    [Fact]
    public async Task An_over_long_line_is_refused_and_the_session_goes_on()
    {
        await using var smtp = await GreetedAsync();
        await smtp.SendAsync("NOOP " + new string('A', 1 << 20) + "\r\nNOOP\r\n");
        Assert.NotNull(await smtp.ReadUntilAsync("^500 5.5.2"));
        Assert.NotNull(await smtp.ReadUntilAsync("^250 "));
        smtp.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task Nul_bytes_and_invalid_utf8_are_syntax_errors()
    {
        await using var smtp = await GreetedAsync();
        await smtp.SendAsync([.. "MAIL FROM:<a\0b@example.net>\r\n"u8, 0xff, 0xfe, .. " x\r\nMAIL FROM:<"u8, 0xc3, 0x28, .. "@example.net>\r\nNOOP\r\n"u8]);
        Assert.NotNull(await smtp.ReadUntilAsync("^5[05]1 "));
        Assert.NotNull(await smtp.ReadUntilAsync("^50[0-9] "));
        Assert.NotNull(await smtp.ReadUntilAsync("^5[05]1 "));
        Assert.NotNull(await smtp.ReadUntilAsync("^250 "));
        smtp.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task A_thousand_pipelined_commands_get_a_thousand_replies()
    {
        await using var smtp = await GreetedAsync();
        var batch = new StringBuilder();
        for (var i = 0; i < 1000; i++)
        {
            batch.Append(i % 2 == 0 ? "NOOP\r\n" : "RSET\r\n");
        }

        await smtp.SendAsync(batch + "QUIT\r\n");
        Assert.NotNull(await smtp.ReadUntilAsync("^221 "));
        Assert.Equal(1000, smtp.Received.Split('\n').Count(l => l.StartsWith("250 ", StringComparison.Ordinal)) - 1); // EHLO's last line too
        smtp.AssertNoExceptionText();
    }

    [Fact]
    public async Task Repeated_garbage_ends_the_session_with_421()
    {
        await using var smtp = await GreetedAsync();
        for (var i = 0; i < 30; i++)
        {
            if (!await smtp.TrySendAsync([.. Encoding.Latin1.GetBytes($"X{i}"), 0, 0xff, .. "\r\n"u8]))
            {
                break;
            }
        }

        Assert.NotNull(await smtp.ReadUntilAsync("^421 4.7.0"));
        Assert.True(await smtp.ClosedWithinAsync(TimeSpan.FromSeconds(10)));
        smtp.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task An_oversized_message_is_read_in_bounded_memory_and_refused_with_552()
    {
        var before = app.ResidentBytes();
        await using var smtp = await GreetedAsync();
        await smtp.SendAsync("MAIL FROM:<big@example.net>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n");
        await smtp.ReadUntilAsync("^354 ");
        var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(new string('x', 998) + "\r\n", 1024))); // 1 MiB
        for (var i = 0; i < 16; i++)
        {
            await smtp.SendAsync(chunk);
        }

        await smtp.SendAsync(".\r\nNOOP\r\n");
        Assert.NotNull(await smtp.ReadUntilAsync("^552 5.3.4"));
        Assert.NotNull(await smtp.ReadUntilAsync("^250 "));
        var grown = app.ResidentBytes() - before;
        Assert.True(grown < 64L << 20, $"serve grew by {grown:N0} bytes receiving a refused 16 MiB message");
        smtp.AssertNoExceptionText();
    }

    [Fact]
    public async Task A_bdat_chunk_announcing_4_gib_is_refused_and_costs_no_memory()
    {
        var before = app.ResidentBytes();
        await using (var smtp = await GreetedAsync())
        {
            await smtp.SendAsync("MAIL FROM:<big@example.net>\r\nRCPT TO:<alice@example.test>\r\nBDAT 4294967296 LAST\r\n");
            await smtp.ReadUntilAsync("^250 2.1.5");
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)'x');
            for (var i = 0; i < 8; i++)
            {
                if (!await smtp.TrySendAsync(chunk))
                {
                    break;
                }
            }

            smtp.AssertNoExceptionText();
        }

        Assert.True(app.ResidentBytes() - before < 64L << 20, "a 4 GiB chunk announcement costs no memory");
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task A_header_of_a_hundred_thousand_fields_is_bounded()
    {
        var before = app.ResidentBytes();
        await using var smtp = await GreetedAsync();
        await smtp.SendAsync("MAIL FROM:<fields@example.net>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n");
        await smtp.ReadUntilAsync("^354 ");
        var fields = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("X-F: y\r\n", 10_000)));
        for (var i = 0; i < 10; i++)
        {
            await smtp.SendAsync(fields);
        }

        await smtp.SendAsync("\r\nbody\r\n.\r\n");
        Assert.NotNull(await smtp.ReadUntilAsync("^[245][0-9][0-9] ", TimeSpan.FromSeconds(60)));
        Assert.True(app.ResidentBytes() - before < 128L << 20, "100,000 header fields cost bounded memory");
        smtp.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }
}
