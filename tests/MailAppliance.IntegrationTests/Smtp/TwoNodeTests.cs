using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MailAppliance.Testing;
using Xunit.Abstractions;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>
/// Two appliances on one database and one data directory (DESIGN.md "Scale past one machine"): SMTP load into both,
/// one SIGKILLed mid-way and started again. Every message that got a 250 from either is delivered exactly once, no
/// recipient row ends failed or waiting, and the survivor's messages in progress are never removed by the other's
/// start-up (it answers no 4xx at all).
/// </summary>
public sealed partial class TwoNodeTests : IClassFixture<ApplianceFixture>
{
    private const int Users = 4;
    private readonly ApplianceFixture _app;
    private readonly ITestOutputHelper _output;

    public TwoNodeTests(ApplianceFixture app, ITestOutputHelper output)
    {
        _app = app;
        _output = output;
    }

    /// <summary>A second node's configuration: the same database and data directory, listeners of its own.</summary>
    private (string ConfigFile, int SmtpPort) SecondNode()
    {
        var config = JsonNode.Parse(File.ReadAllText(_app.Cli.ConfigFile))!.AsObject();
        var ports = TestPorts.Take(8);
        config["Listeners"] = new JsonObject
        {
            ["Smtp"] = $"127.0.0.1:{ports[0]}",
            ["Submission"] = $"127.0.0.1:{ports[1]}",
            ["Submissions"] = $"127.0.0.1:{ports[2]}",
            ["Imap"] = $"127.0.0.1:{ports[3]}",
            ["Imaps"] = $"127.0.0.1:{ports[4]}",
            ["Pop3"] = $"127.0.0.1:{ports[5]}",
            ["Pop3s"] = $"127.0.0.1:{ports[6]}",
            ["ManageSieve"] = $"127.0.0.1:{ports[7]}",
        };
        var file = Path.Combine(_app.Root, "node-b.json");
        File.WriteAllText(file, config.ToJsonString());
        return (file, ports[0]);
    }

    [Fact]
    public async Task Two_nodes_one_killed_mid_way_deliver_every_acknowledged_message_exactly_once()
    {
        for (var u = 0; u < Users; u++)
        {
            await _app.Ok($"user add node{u}@example.test");
        }

        var (configB, portB) = SecondNode();
        var nodeB = ServeProcess.Start(configB);
        await nodeB.WaitForNotificationAsync("READY=1", TimeSpan.FromSeconds(90));
        var acknowledged = new ConcurrentDictionary<string, (int First, int Second)>();
        var refusedByA = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var senders = new List<Task>();
        for (var worker = 0; worker < 3; worker++)
        {
            var w = worker;
            senders.Add(Task.Run(() => SendAsync($"a{w}", _app.SmtpPort, acknowledged, refusedByA, stop.Token)));
            senders.Add(Task.Run(() => SendAsync($"b{w}", portB, acknowledged, null, stop.Token)));
        }

        try
        {
            await WaitForAsync(() => acknowledged.Count >= 150, "load before the kill");
            nodeB.Signal(9); // node B dies mid-way: its claims, its messages in progress, its spool files in tmp/
            await nodeB.WaitForExitAsync(TimeSpan.FromSeconds(30));
            await nodeB.DisposeAsync();
            var before = acknowledged.Count;
            await WaitForAsync(() => acknowledged.Count >= before + 60, "load on node A alone");
            nodeB = ServeProcess.Start(configB);
            await nodeB.WaitForNotificationAsync("READY=1", TimeSpan.FromSeconds(90));
            before = acknowledged.Count;
            await WaitForAsync(() => acknowledged.Count >= before + 100, "load on both again");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(senders);
        }

        try
        {
            // Everything settles: no waiting row, no spool file left (the dead node's claims are taken over).
            await WaitForAsync(async () => Directory.GetFiles(Path.Combine(_app.DataDirectory, "spool"), "*.msg").Length == 0
                && JsonDocument.Parse((await _app.Cli.RunAsync("queue list --json")).Output).RootElement.GetArrayLength() == 0, "the queue to empty", TimeSpan.FromSeconds(120));

            var delivered = new Dictionary<string, int>();
            for (var u = 0; u < Users; u++)
            {
                foreach (var file in await _app.MessagesAsync($"node{u}", 0))
                {
                    var id = TestIdPattern().Match(await File.ReadAllTextAsync(file)).Groups[1].Value;
                    delivered[$"{u}:{id}"] = delivered.GetValueOrDefault($"{u}:{id}") + 1;
                }
            }

            var lost = acknowledged.SelectMany(a => new[] { $"{a.Value.First}:{a.Key}", $"{a.Value.Second}:{a.Key}" }).Where(key => !delivered.ContainsKey(key)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged messages lost: {string.Join(", ", lost.Take(5))}");
            var twice = delivered.Where(d => d.Value > 1).Select(d => d.Key).ToList();
            Assert.True(twice.Count == 0, $"delivered more than once: {string.Join(", ", twice.Take(5))}");
            Assert.True(refusedByA.IsEmpty, $"node A answered {string.Join(" | ", refusedByA.Take(3))}");

            await using var db = Npgsql.NpgsqlDataSource.Create(_app.ConnectionString);
            await using var statuses = db.CreateCommand("SELECT status, count(*) FROM queue_recipients GROUP BY status");
            await using var reader = await statuses.ExecuteReaderAsync();
            var counts = new Dictionary<string, long>();
            while (await reader.ReadAsync())
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }

            Assert.Equal(["delivered"], counts.Keys);
            _output.WriteLine($"{acknowledged.Count} acknowledged, {delivered.Count} delivered, rows: {string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"))}");
        }
        finally
        {
            await nodeB.DisposeAsync();
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what) => await WaitForAsync(() => Task.FromResult(condition()), what, TimeSpan.FromSeconds(120));

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < timeout, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>Sends until stopped, reconnecting after the node dies; records each 250, and (node A) any other final reply.</summary>
    private static async Task SendAsync(string worker, int port, ConcurrentDictionary<string, (int First, int Second)> acknowledged, ConcurrentBag<string>? refused, CancellationToken stop)
    {
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var smtp = await SmtpClientScript.ConnectAsync(port);
                await smtp.Send("EHLO sender.example");
                await smtp.Expect("250");
                while (!stop.IsCancellationRequested)
                {
                    var id = $"{worker}-m{sequence++}";
                    var first = sequence % Users;
                    var second = (sequence + 1) % Users;
                    await smtp.Send($"MAIL FROM:<load@example.net>\r\nRCPT TO:<node{first}@example.test>\r\nRCPT TO:<node{second}@example.test>\r\nDATA");
                    await smtp.Expect("250");
                    await smtp.Expect("250");
                    await smtp.Expect("250");
                    await smtp.Expect("354");
                    await smtp.Send($"Subject: two nodes\r\nX-Test-Id: <{id}>\r\n\r\n{new string('n', 1500)}\r\n.");
                    var reply = await smtp.ReadReplyAsync();
                    if (reply.StartsWith("250 ", StringComparison.Ordinal))
                    {
                        acknowledged[id] = (first, second);
                    }
                    else
                    {
                        refused?.Add(reply);
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or Xunit.Sdk.XunitException or OperationCanceledException)
            {
                // Node B was killed mid-conversation: what did not get its 250 may or may not arrive.
                if (refused is not null && !stop.IsCancellationRequested)
                {
                    refused.Add(e.Message);
                }

                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    [GeneratedRegex("X-Test-Id: <([^>]+)>")]
    private static partial Regex TestIdPattern();
}
