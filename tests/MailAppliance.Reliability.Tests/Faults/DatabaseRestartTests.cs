using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using MailAppliance.Database;
using MailAppliance.Reliability.Tests.Hostile;
using MailAppliance.Testing;
using Xunit.Abstractions;

namespace MailAppliance.Reliability.Tests.Faults;

/// <summary>An appliance on its embedded PostgreSQL (so the test can restart it), plaintext logins allowed.</summary>
public sealed class EmbeddedDatabaseFixture : HostileFixture
{
    protected override bool UseTestCluster => false;

    public async Task PgCtlAsync(params string[] arguments)
    {
        var bin = await PostgresBinaries.LocateAsync(null, CancellationToken.None);
        var (exit, output) = await RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "pg_ctl"), .. arguments, "-D", Path.Combine(DataDirectory, "pg")]);
        Assert.True(exit == 0, output);
    }
}

/// <summary>
/// PostgreSQL stopped and started again under SMTP and IMAP load (INTERFACE.md "Database unreachable"): clients
/// hear only 4xx and <c>NO [UNAVAILABLE]</c> (never 5xx, BAD or exception text), the listeners stay open, mail
/// flows again within 10 s of the database's return without a restart, and every message that got its 250 is
/// delivered exactly once. Builds on RcptFailureTests (one outage at RCPT) and TwoNodeTests (a node SIGKILLed).
/// </summary>
public sealed partial class DatabaseRestartTests(EmbeddedDatabaseFixture app, ITestOutputHelper output) : IClassFixture<EmbeddedDatabaseFixture>
{
    private readonly ConcurrentDictionary<string, DateTime> _acknowledged = new();
    private readonly ConcurrentBag<string> _wrong = [];
    private readonly ConcurrentBag<(DateTime At, string Reply)> _temporary = [];
    private long _imapOk;

    [Fact]
    public async Task A_database_restart_under_smtp_and_imap_load_loses_nothing_and_recovers_without_a_restart()
    {
        await app.Ok("user add load@example.test --password-stdin", "pw\n");
        using var stop = new CancellationTokenSource();
        var workers = new List<Task>();
        for (var i = 0; i < 3; i++)
        {
            var w = i;
            workers.Add(Task.Run(() => SmtpLoadAsync($"w{w}", stop.Token)));
        }

        for (var i = 0; i < 2; i++)
        {
            workers.Add(Task.Run(() => ImapLoadAsync(stop.Token)));
        }

        var outages = Battery.Scale(1, 3);
        var recoveries = new List<TimeSpan>();
        try
        {
            await WaitForAsync(() => _acknowledged.Count >= 30, "load before the outage");
            for (var outage = 0; outage < outages; outage++)
            {
                await app.PgCtlAsync("stop", "-m", "fast", "-w");
                var down = _acknowledged.Count;
                await WaitForAsync(() => !_temporary.IsEmpty, "a 4xx while the database is away");
                await app.PgCtlAsync("start", "-w", "-l", Path.Combine(app.DataDirectory, "pg", "postgresql.log"));
                var back = DateTime.UtcNow;

                // Recovered: a transaction started after the database came back got its 250 (RCPT needs the directory).
                await WaitForAsync(() => _acknowledged.Values.Any(t => t > back), "a 250 after the database is back", TimeSpan.FromSeconds(30));
                var recovery = _acknowledged.Values.Where(t => t > back).Min() - back;
                recoveries.Add(recovery);
                Assert.True(recovery < TimeSpan.FromSeconds(10), $"mail flowed again {recovery} after the database returned");
                var imapBefore = Interlocked.Read(ref _imapOk);
                await WaitForAsync(() => Interlocked.Read(ref _imapOk) > imapBefore + 5, "IMAP serving again", TimeSpan.FromSeconds(30));
                output.WriteLine($"outage {outage + 1}: {_acknowledged.Count - down} acknowledged meanwhile, mail again {recovery.TotalMilliseconds:N0} ms after the database");
            }

            var count = _acknowledged.Count;
            await WaitForAsync(() => _acknowledged.Count >= count + 20, "load after the outages");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        Assert.True(_wrong.IsEmpty, $"replies other than 2xx/3xx/4xx/[UNAVAILABLE]: {string.Join(" | ", _wrong.Take(5))}");
        var queue = "";
        await WaitForAsync(async () =>
        {
            queue = (await app.Cli.RunAsync("queue list --json")).Output;
            return Directory.GetFiles(Path.Combine(app.DataDirectory, "spool"), "*.msg").Length == 0 && JsonDocument.Parse(queue).RootElement.GetArrayLength() == 0;
        }, () => $"the queue to empty; spool: {string.Join(", ", Directory.GetFiles(Path.Combine(app.DataDirectory, "spool"), "*.msg").Select(Path.GetFileName))}; queue: {queue}", TimeSpan.FromSeconds(120));

        var delivered = new Dictionary<string, int>();
        foreach (var file in await app.MessagesAsync("load", 0))
        {
            var id = TestId().Match(await File.ReadAllTextAsync(file)).Groups[1].Value;
            delivered[id] = delivered.GetValueOrDefault(id) + 1;
        }

        var lost = _acknowledged.Keys.Where(id => !delivered.ContainsKey(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {_acknowledged.Count} acknowledged messages lost: {string.Join(", ", lost.Take(5))}");
        Assert.DoesNotContain(delivered, d => d.Value > 1);
        output.WriteLine($"{_acknowledged.Count} acknowledged, all delivered once; {_temporary.Count} temporary replies ({string.Join(", ", _temporary.Select(t => char.IsAsciiDigit(t.Reply[0]) ? t.Reply[..Math.Min(9, t.Reply.Length)] : "NO [UNAVAILABLE]").Distinct())}); IMAP commands OK: {_imapOk}");
        output.WriteLine($"recovery after the database returned: {string.Join(", ", recoveries.Select(r => $"{r.TotalMilliseconds:N0} ms"))}");
    }

    private async Task SmtpLoadAsync(string worker, CancellationToken stop)
    {
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var smtp = await HostileClient.ConnectAsync(app.SmtpPort);
                Check(await smtp.ReadUntilAsync("^[0-9]{3} "));
                await smtp.SendAsync("EHLO load.example\r\n");
                Check(await smtp.ReadUntilAsync("^[0-9]{3} "));
                while (!stop.IsCancellationRequested)
                {
                    var id = $"{worker}-{sequence++}";
                    await smtp.SendAsync("MAIL FROM:<load@example.net>\r\n");
                    if (!Check(await smtp.ReadUntilAsync("^[0-9]{3} ")))
                    {
                        await smtp.SendAsync("RSET\r\n");
                        Check(await smtp.ReadUntilAsync("^[0-9]{3} "));
                        continue;
                    }

                    await smtp.SendAsync("RCPT TO:<load@example.test>\r\n");
                    if (!Check(await smtp.ReadUntilAsync("^[0-9]{3} ")))
                    {
                        await smtp.SendAsync("RSET\r\n");
                        Check(await smtp.ReadUntilAsync("^[0-9]{3} "));
                        continue;
                    }

                    await smtp.SendAsync("DATA\r\n");
                    if (!Check(await smtp.ReadUntilAsync("^[0-9]{3} ")))
                    {
                        continue;
                    }

                    await smtp.SendAsync($"Subject: restart\r\nX-Test-Id: <{id}>\r\n\r\n{new string('r', 800)}\r\n.\r\n");
                    var reply = await smtp.ReadUntilAsync("^[0-9]{3} ");
                    if (Check(reply) && reply!.StartsWith("250", StringComparison.Ordinal))
                    {
                        _acknowledged[id] = DateTime.UtcNow;
                    }
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                // A dropped connection is no lie: what did not get its 250 may or may not arrive. A 421 closes too.
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }

    /// <summary>True for a positive reply; records a 4xx; anything else is wrong.</summary>
    private bool Check(string? reply)
    {
        if (reply is null)
        {
            throw new IOException("closed");
        }

        HostileClient.AssertNoExceptionText(reply);
        if (reply[0] is '2' or '3')
        {
            return true;
        }

        if (reply[0] == '4')
        {
            _temporary.Add((DateTime.UtcNow, reply));
        }
        else
        {
            _wrong.Add(reply);
        }

        return false;
    }

    private async Task ImapLoadAsync(CancellationToken stop)
    {
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var imap = await HostileClient.ConnectAsync(app.ImapPort);
                await imap.ReadUntilAsync(@"^\* ");
                await imap.SendAsync("l LOGIN load@example.test pw\r\n");
                if (!CheckImap(await imap.ReadUntilAsync("^l ")))
                {
                    await Task.Delay(200, CancellationToken.None);
                    continue;
                }

                await imap.SendAsync("s SELECT INBOX\r\n");
                if (!CheckImap(await imap.ReadUntilAsync("^s ")))
                {
                    continue;
                }

                while (!stop.IsCancellationRequested)
                {
                    var tag = $"t{n++}";
                    await imap.SendAsync(n % 3 == 0 ? $"{tag} NOOP\r\n" : n % 3 == 1 ? $"{tag} UID FETCH 1:* (FLAGS)\r\n" : $"{tag} STATUS INBOX (MESSAGES)\r\n");
                    CheckImap(await imap.ReadUntilAsync($"^{tag} "));
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }

    private bool CheckImap(string? reply)
    {
        if (reply is null)
        {
            throw new IOException("closed");
        }

        HostileClient.AssertNoExceptionText(reply);
        var status = reply.Split(' ', 3);
        if (status.Length > 1 && status[1] == "OK")
        {
            Interlocked.Increment(ref _imapOk);
            return true;
        }

        if (status.Length > 2 && status[1] == "NO" && status[2].StartsWith("[UNAVAILABLE]", StringComparison.Ordinal))
        {
            _temporary.Add((DateTime.UtcNow, reply));
        }
        else
        {
            _wrong.Add(reply);
        }

        return false;
    }

    private static Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitForAsync(() => Task.FromResult(condition()), what, timeout ?? TimeSpan.FromSeconds(120));

    private static Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan timeout) => WaitForAsync(condition, () => what, timeout);

    private static async Task WaitForAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < timeout, $"timed out waiting for {what()}");
            await Task.Delay(50);
        }
    }

    [GeneratedRegex("X-Test-Id: <([^>]+)>")]
    private static partial Regex TestId();
}
