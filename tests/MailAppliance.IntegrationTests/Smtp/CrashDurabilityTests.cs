using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MailAppliance.Testing;
using Xunit.Abstractions;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>"Mail accepted with 250 is never lost": the appliance is killed with SIGKILL while 8 clients send.</summary>
public sealed partial class CrashDurabilityTests : IClassFixture<ApplianceFixture>
{
    private readonly ApplianceFixture _app;
    private readonly ITestOutputHelper _output;

    public CrashDurabilityTests(ApplianceFixture app, ITestOutputHelper output)
    {
        _app = app;
        _output = output;
    }

    [Fact]
    public async Task Killing_the_process_at_random_moments_loses_no_message_that_got_a_250()
    {
        await _app.Ok("user add durable@example.test");
        var acknowledged = new ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 8).Select(worker => Task.Run(() => SendUntilStoppedAsync(worker, acknowledged, stop.Token))).ToList();

        var random = new Random(20261122);
        for (var kill = 0; kill < 3; kill++)
        {
            // Kill only once the senders made progress since the last start (a loaded machine is slow to restart),
            // then at a random moment.
            await WaitForProgressAsync(acknowledged, acknowledged.Count + 10);
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1500)));
            await _app.KillAndRestartAsync();
        }

        await WaitForProgressAsync(acknowledged, acknowledged.Count + 10);
        await stop.CancelAsync();
        await Task.WhenAll(senders);

        // Every spooled message is delivered after the last restart.
        var spool = Path.Combine(_app.DataDirectory, "spool");
        for (var i = 0; i < 600 && Directory.GetFiles(spool, "*.msg").Length > 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Empty(Directory.GetFiles(spool, "*.msg"));
        Assert.True(acknowledged.Count > 20, $"only {acknowledged.Count} messages were acknowledged: the test did not load the server");
        var delivered = new Dictionary<string, int>();
        foreach (var file in await _app.MessagesAsync("durable", acknowledged.Count))
        {
            var id = MessageIdPattern().Match(await File.ReadAllTextAsync(file)).Groups[1].Value;
            delivered[id] = delivered.GetValueOrDefault(id) + 1;
        }

        var lost = acknowledged.Keys.Where(id => !delivered.ContainsKey(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged messages lost: {string.Join(", ", lost.Take(5))}");
        Assert.DoesNotContain(delivered, d => d.Value > 1);
        _output.WriteLine($"{acknowledged.Count} acknowledged, {delivered.Count} delivered ({delivered.Count - acknowledged.Count} accepted but unacknowledged when killed), 3 SIGKILLs");
    }

    [Fact]
    public async Task The_250_waits_for_the_durable_spool_file_only_and_rows_not_written_before_a_kill_are_written_at_the_next_start()
    {
        await _app.Ok("user add rowslater@example.test");
        string queueId;
        await using (var db = new Npgsql.NpgsqlConnection(_app.ConnectionString))
        {
            await db.OpenAsync();
            await using (var locked = await db.BeginTransactionAsync())
            {
                // Reads go on; no queue row can be written until this transaction ends.
                await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE queue_recipients IN EXCLUSIVE MODE", db, locked))
                {
                    await lockTable.ExecuteNonQueryAsync();
                }

                await using (var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort))
                {
                    await smtp.Send("EHLO client.example");
                    await smtp.Expect("250");
                    await smtp.Send("MAIL FROM:<a@example.net>\r\nRCPT TO:<rowslater@example.test>\r\nDATA");
                    await smtp.Expect("250");
                    await smtp.Expect("250 2.1.5");
                    await smtp.Expect("354");
                    await smtp.Send("Subject: rows later\r\nMessage-ID: <rowslater@example.net>\r\n\r\nhello\r\n.");
                    var reply = await smtp.Expect("250 2.0.0 Ok: queued as "); // before: no 250 until the rows were in
                    queueId = reply.Split(' ')[^1].Trim();
                }

                Assert.True(File.Exists(Path.Combine(_app.DataDirectory, "spool", queueId + ".msg")));
                await using (var rows = new Npgsql.NpgsqlCommand("SELECT count(*) FROM queue_recipients WHERE queue_id = $1", db, locked))
                {
                    rows.Parameters.AddWithValue(queueId);
                    Assert.Equal(0L, await rows.ExecuteScalarAsync());
                }

                // The operator sees it at once all the same: queue show reads the spool file.
                var show = await _app.Cli.RunAsync($"queue show {queueId}");
                Assert.True(show.ExitCode == 0, show.ToString());
                Assert.Matches(@"rowslater@example\.test\s+queued\s+0", show.Output);

                await _app.KillAsync(); // with the rows still waiting for the lock
            }
        }

        await _app.StartAsync(); // the file without rows gets them from the spool, and is delivered
        var delivered = await _app.MessagesAsync("rowslater");
        Assert.Single(delivered);
        Assert.Contains("Message-ID: <rowslater@example.net>", await File.ReadAllTextAsync(delivered[0]));
        var spooled = Path.Combine(_app.DataDirectory, "spool", queueId + ".msg");
        for (var i = 0; i < 100 && File.Exists(spooled); i++)
        {
            await Task.Delay(100);
        }

        Assert.False(File.Exists(spooled));
        Assert.Single(await _app.MessagesAsync("rowslater"));
    }

    private static async Task WaitForProgressAsync(ConcurrentDictionary<string, string> acknowledged, int count)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (acknowledged.Count < count && watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(100);
        }
    }

    private async Task SendUntilStoppedAsync(int worker, ConcurrentDictionary<string, string> acknowledged, CancellationToken stop)
    {
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
                await smtp.Send("EHLO sender.example");
                await smtp.Expect("250");
                while (!stop.IsCancellationRequested)
                {
                    var id = $"w{worker}-m{sequence++}";
                    await smtp.Send("MAIL FROM:<load@example.net>\r\nRCPT TO:<durable@example.test>\r\nDATA");
                    await smtp.Expect("250");
                    await smtp.Expect("250");
                    await smtp.Expect("354");
                    await smtp.Send($"Subject: durability\r\nX-Test-Id: <{id}>\r\n\r\n{new string('z', 2000)}\r\n.");
                    var reply = await smtp.ReadReplyAsync();
                    if (reply.StartsWith("250 ", StringComparison.Ordinal))
                    {
                        acknowledged[id] = reply;
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or Xunit.Sdk.XunitException or OperationCanceledException)
            {
                // The server was killed mid-conversation: what did not get its 250 may or may not arrive.
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    [GeneratedRegex("X-Test-Id: <([^>]+)>")]
    private static partial Regex MessageIdPattern();
}
