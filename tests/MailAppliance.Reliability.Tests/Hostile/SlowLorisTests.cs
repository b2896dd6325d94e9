using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.Reliability.Tests.Hostile;

/// <summary>An appliance whose SMTP command time-out is 3 s, so a slow-loris test takes seconds.</summary>
public sealed class ShortTimeoutFixture : HostileFixture
{
    protected override object ExtraSmtpSettings => new { MaxMessageSize = 3 * 1024 * 1024, CommandTimeoutSeconds = 3 };
}

/// <summary>
/// Slow-loris senders: a line that trickles in one byte at a time still has to be complete within the command
/// time-out (it is a deadline for the line, not for each read), and one address cannot take more than its share of
/// connections while it trickles.
/// </summary>
public sealed class SlowLorisTests(ShortTimeoutFixture app) : IClassFixture<ShortTimeoutFixture>
{
    [Fact]
    public async Task A_line_trickling_in_is_cut_off_at_the_command_time_out()
    {
        await using var smtp = await HostileClient.ConnectAsync(app.SmtpPort, app.NextSourceAddress());
        await smtp.ReadUntilAsync("^220 ");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var closed = false;
        for (var i = 0; i < 12 && !closed; i++)
        {
            // One byte every 500 ms: each read comes well within 3 s, the line never does.
            closed = !await smtp.TrySendAsync(Encoding.ASCII.GetBytes("X")) || await smtp.ClosedWithinAsync(TimeSpan.FromMilliseconds(500));
        }

        Assert.True(closed || await smtp.ClosedWithinAsync(TimeSpan.FromSeconds(3)), "the trickling session was not closed");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"closed after {watch.Elapsed}");
        Assert.Contains("421 4.4.2", smtp.Received, StringComparison.Ordinal);
        smtp.AssertNoExceptionText();
    }

    [Fact]
    public async Task Many_slow_connections_from_one_address_take_only_its_share()
    {
        var from = app.NextSourceAddress();
        var clients = new List<HostileClient>();
        try
        {
            var refused = 0;
            for (var i = 0; i < 40; i++)
            {
                var client = await HostileClient.ConnectAsync(app.SmtpPort, from);
                clients.Add(client);
                var greeting = await client.ReadUntilAsync("^(220|421) ");
                refused += greeting?.StartsWith("421", StringComparison.Ordinal) == true ? 1 : 0;
                await client.TrySendAsync("E"u8.ToArray());
            }

            Assert.Equal(20, refused); // Smtp:MaxConnectionsPerIp (20)
            await app.AssertServesOthersAsync();
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }
}
