using System.Text;

namespace MailAppliance.Reliability.Tests.Hostile;

/// <summary>Hostile POP3 clients: each gets -ERR, no exception text, and everyone else is served.</summary>
[Collection(HostileCollection.Name)]
public sealed class Pop3HostileTests(HostileFixture app)
{
    private async Task<HostileClient> ConnectedAsync()
    {
        var pop3 = await HostileClient.ConnectAsync(app.Pop3Port, app.NextSourceAddress());
        await pop3.ReadUntilAsync(@"^\+OK");
        return pop3;
    }

    [Fact]
    public async Task An_over_long_line_is_refused()
    {
        await using var pop3 = await ConnectedAsync();
        await pop3.TrySendAsync(Encoding.ASCII.GetBytes("USER " + new string('A', 1 << 20) + "\r\nCAPA\r\n"));
        Assert.NotNull(await pop3.ReadUntilAsync("^-ERR"));
        pop3.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task Nul_bytes_and_invalid_utf8_are_refused()
    {
        await using var pop3 = await ConnectedAsync();
        await pop3.SendAsync([.. "USER al\0ice\r\nUSER "u8, 0xff, 0xfe, 0xc3, 0x28, .. "\r\nPASS \0\r\nNOOP\r\n"u8]);
        Assert.NotNull(await pop3.ReadUntilAsync("^-ERR"));
        Assert.NotNull(await pop3.ReadUntilAsync("^(-ERR|\\+OK)"));
        pop3.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }

    [Fact]
    public async Task A_thousand_pipelined_commands_get_a_thousand_replies()
    {
        await using var pop3 = await ConnectedAsync();
        var batch = new StringBuilder("USER alice@example.test\r\nPASS pw\r\n");
        for (var i = 0; i < 1000; i++)
        {
            batch.Append(i % 2 == 0 ? "STAT\r\n" : "NOOP\r\n");
        }

        await pop3.SendAsync(batch + "QUIT\r\n");
        await pop3.ClosedWithinAsync(TimeSpan.FromSeconds(60));
        var ok = pop3.Received.Split('\n').Count(l => l.StartsWith("+OK", StringComparison.Ordinal)) - 1; // greeting
        Assert.True(ok == 1000 + 2 + 1, $"{ok} +OK replies; the first lines: {string.Join('\n', pop3.Received.Split('\n').Take(6))}");
        pop3.AssertNoExceptionText();
    }

    [Fact]
    public async Task Unknown_commands_end_the_session()
    {
        await using var pop3 = await ConnectedAsync();
        for (var i = 0; i < 50; i++)
        {
            if (!await pop3.TrySendAsync(Encoding.ASCII.GetBytes($"XYZZY{i}\r\n")))
            {
                break;
            }
        }

        Assert.True(await pop3.ClosedWithinAsync(TimeSpan.FromSeconds(10)), "the session is closed after repeated garbage");
        pop3.AssertNoExceptionText();
        await app.AssertServesOthersAsync();
    }
}
