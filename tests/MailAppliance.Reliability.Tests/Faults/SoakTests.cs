using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MailAppliance.Reliability.Tests.Hostile;
using Xunit.Abstractions;

namespace MailAppliance.Reliability.Tests.Faults;

/// <summary>
/// Mixed load for a while: SMTP in (to an IMAP reader's and a POP3 reader's mailboxes), an IMAP reader that
/// fetches and expunges, a POP3 reader that retrieves and deletes, deliveries in between. The serve process's
/// resident memory and open descriptors are sampled at intervals: no growth trend (the last third of the samples
/// stays within bounds of the middle third), no error in its log, and the queue drains at the end.
/// Descriptors of message files in flight (spool files being written or delivered, maildir files being written)
/// come and go with the backlog, up to the delivery scheduler's parallelism: they are bounded, not trended, and
/// none is left once the queue has drained.
/// SOAK_MINUTES (scripts/soak.sh) sets the length and samples every minute; the suite runs 40 seconds.
/// </summary>
public sealed class SoakTests(HostileFixture app, ITestOutputHelper output) : IClassFixture<HostileFixture>
{
    private long _sent;
    private long _imapFetched;
    private long _pop3Retrieved;

    [Fact]
    public async Task Mixed_load_shows_no_growth_and_no_error()
    {
        var minutes = int.TryParse(Environment.GetEnvironmentVariable("SOAK_MINUTES"), out var m) && m > 0 ? m : 0;
        var length = minutes > 0 ? TimeSpan.FromMinutes(minutes) : TimeSpan.FromSeconds(40);
        var every = minutes > 0 ? TimeSpan.FromMinutes(1) : TimeSpan.FromSeconds(5);
        await app.Ok("user add soakimap@example.test --password-stdin", "pw\n");
        await app.Ok("user add soakpop@example.test --password-stdin", "pw\n");

        using var stop = new CancellationTokenSource();
        var load = new List<Task>
        {
            Task.Run(() => SmtpAsync("soakimap@example.test", stop.Token)),
            Task.Run(() => SmtpAsync("soakpop@example.test", stop.Token)),
            Task.Run(() => ImapAsync(stop.Token)),
            Task.Run(() => Pop3Async(stop.Token)),
        };

        var samples = new List<(TimeSpan At, long Rss, int Fds, int InFlight, long Sent)>();
        var watch = Stopwatch.StartNew();
        var logStart = app.Serve.OutputLines.Count;
        try
        {
            while (watch.Elapsed < length)
            {
                await Task.Delay(every);
                var (standing, inFlight) = Descriptors();
                samples.Add((watch.Elapsed, app.ResidentBytes(), standing, inFlight, Interlocked.Read(ref _sent)));
                Assert.False(load.Any(t => t.IsFaulted), "a load task failed");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        var curve = new StringBuilder("minute,rss_mib,fds,message_fds,messages\n");
        foreach (var s in samples)
        {
            curve.Append(CultureInfo.InvariantCulture, $"{s.At.TotalMinutes:F1},{s.Rss / (1024.0 * 1024):F1},{s.Fds},{s.InFlight},{s.Sent}\n");
        }

        output.WriteLine(curve.ToString());
        output.WriteLine($"{_sent} messages sent, {_imapFetched} fetched and expunged over IMAP, {_pop3Retrieved} retrieved and deleted over POP3");
        if (Environment.GetEnvironmentVariable("SOAK_OUTPUT") is { Length: > 0 } file)
        {
            await File.WriteAllTextAsync(file, curve.ToString());
        }

        // No growth trend: the last third against the middle third (the first third is warm-up).
        var third = samples.Count / 3;
        var middle = samples.Skip(third).Take(third).ToList();
        var last = samples.Skip(2 * third).ToList();
        Assert.True(last.Average(s => s.Rss) <= (middle.Average(s => s.Rss) * 1.25) + (32 << 20), "resident memory keeps growing");
        Assert.True(last.Max(s => s.Fds) <= middle.Max(s => s.Fds) + 20, "open descriptors keep growing");
        Assert.True(samples.Max(s => s.InFlight) <= MessageFilesBound, $"more message files open at once than deliveries and sessions in flight: {samples.Max(s => s.InFlight)}");
        Assert.True(_sent > 0 && _imapFetched > 0 && _pop3Retrieved > 0, "every kind of load ran");

        var errors = app.Serve.OutputLines.Skip(logStart).Where(l => l.Contains("\"Level\":\"Error\"", StringComparison.Ordinal) || l.Contains("\"Level\":\"Fatal\"", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, $"errors in the log: {string.Join('\n', errors.Take(5))}");

        var queue = "";
        var drain = Stopwatch.StartNew();
        while (drain.Elapsed < TimeSpan.FromSeconds(60) && (queue = (await app.Cli.RunAsync("queue list --json")).Output) is var q && JsonDocument.Parse(q).RootElement.GetArrayLength() > 0)
        {
            await Task.Delay(200);
        }

        Assert.Equal(0, JsonDocument.Parse(queue).RootElement.GetArrayLength());

        // Drained: every message file a delivery or a session opened is closed again (a leaked one would stay open).
        var closed = Stopwatch.StartNew();
        while (Descriptors().InFlight > 0 && closed.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }

        Assert.True(Descriptors().InFlight == 0, $"message files still open after the queue drained: {string.Join(", ", MessageFiles())}");
    }

    private async Task SmtpAsync(string recipient, CancellationToken stop)
    {
        await using var smtp = await HostileClient.ConnectAsync(app.SmtpPort, app.NextSourceAddress());
        await smtp.ReadUntilAsync("^220 ");
        await smtp.SendAsync("EHLO soak.example\r\n");
        await smtp.ReadUntilAsync("^250 ");
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            await smtp.SendAsync($"MAIL FROM:<soak@example.net>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n");
            await smtp.ReadUntilAsync("^354 ");
            await smtp.SendAsync($"Subject: soak {n++}\r\n\r\n{new string('s', 2000 + (n % 7 * 1000))}\r\n.\r\n");
            Assert.NotNull(await smtp.ReadUntilAsync("^250 2.0.0"));
            Interlocked.Increment(ref _sent);
            await Task.Delay(20, CancellationToken.None); // a steady trickle, not a flood: this is about time, not rate
        }
    }

    private async Task ImapAsync(CancellationToken stop)
    {
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            // A session per pass, as a polling client would: logins, selects and closes are part of the load.
            await using var imap = await HostileClient.ConnectAsync(app.ImapPort, app.NextSourceAddress());
            try
            {
                await imap.ReadUntilAsync(@"^\* OK");
                await imap.SendAsync("l LOGIN soakimap@example.test pw\r\ns SELECT INBOX\r\n");
                Assert.True(await imap.ReadUntilAsync("^s OK|^[ls] (NO|BAD)|^\\* BYE") is { } selected && selected.StartsWith("s OK", StringComparison.Ordinal),
                    $"IMAP login or select refused; received: {imap.Received}");
                for (var i = 0; i < 10 && !stop.IsCancellationRequested; i++)
                {
                    var tag = $"t{n++}";
                    await imap.SendAsync($"{tag} UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (Subject)] BODYSTRUCTURE)\r\n");
                    await imap.ReadUntilAsync($"^{tag} OK");
                    Interlocked.Add(ref _imapFetched, imap.Received.Split('\n').Count(l => l.StartsWith("* ", StringComparison.Ordinal) && l.Contains("FETCH", StringComparison.Ordinal)));
                    await imap.SendAsync($"{tag}s UID STORE 1:* +FLAGS.SILENT (\\Deleted)\r\n{tag}e EXPUNGE\r\n");
                    await imap.ReadUntilAsync($"^{tag}e OK");
                    await Task.Delay(200, CancellationToken.None);
                }

                await imap.SendAsync("z LOGOUT\r\n");
                await imap.ClosedWithinAsync(TimeSpan.FromSeconds(10));
            }
            catch (IOException e)
            {
                // The server closed the session under us: say what it had answered and what serve logged last.
                throw new InvalidOperationException(
                    $"IMAP session closed by the server; received: {imap.Received}; serve's last lines: {string.Join(" | ", app.Serve.OutputLines.TakeLast(15))}", e);
            }
        }
    }

    private async Task Pop3Async(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await using var pop3 = await HostileClient.ConnectAsync(app.Pop3Port, app.NextSourceAddress());
            await pop3.ReadUntilAsync(@"^\+OK");
            await pop3.SendAsync("USER soakpop@example.test\r\nPASS pw\r\nSTAT\r\n");
            // A refused login (-ERR [IN-USE] or [SYS/TEMP]) fails here with what the server said, not as a time-out.
            var stat = await pop3.ReadUntilAsync(@"^\+OK \d+ \d+|^-ERR");
            Assert.True(stat is not null && stat.StartsWith("+OK", StringComparison.Ordinal), $"POP3 login refused; received: {pop3.Received}");
            var count = int.Parse(stat!.Split(' ')[1], CultureInfo.InvariantCulture);
            for (var i = 1; i <= Math.Min(count, 50); i++)
            {
                await pop3.SendAsync($"RETR {i}\r\nDELE {i}\r\n");
                await pop3.ReadUntilAsync(@"^\+OK .*deleted|^\+OK$|^-ERR");
                Interlocked.Increment(ref _pop3Retrieved);
            }

            // The maildrop is free only once QUIT's UPDATE state ends: the next pass must not log in before that.
            await pop3.SendAsync("QUIT\r\n");
            Assert.True(await pop3.ClosedWithinAsync(TimeSpan.FromSeconds(60)), $"QUIT not finished; received: {pop3.Received}");
            await Task.Delay(500, CancellationToken.None);
        }
    }

    /// <summary>The delivery scheduler's parallelism (each delivery holds its spool file) and a few for the sessions.</summary>
    private const int MessageFilesBound = 32 + 8;

    /// <summary>
    /// The serve process's open descriptors in one pass: standing ones, and message files in flight (spool files,
    /// maildir files). A descriptor closed between the listing and the look counts as neither.
    /// </summary>
    private (int Standing, int InFlight) Descriptors()
    {
        var (standing, messages) = (0, 0);
        foreach (var target in Targets())
        {
            if (IsMessageFile(target))
            {
                messages++;
            }
            else
            {
                standing++;
            }
        }

        return (standing, messages);
    }

    private List<string> MessageFiles() => Targets().Where(IsMessageFile).ToList();

    private static bool IsMessageFile(string target) =>
        (target.EndsWith(".msg", StringComparison.Ordinal) || target.EndsWith(".msg (deleted)", StringComparison.Ordinal)
            || target.Contains("/Maildir/", StringComparison.Ordinal) || target.Contains("/spool/tmp/", StringComparison.Ordinal))
        && !Directory.Exists(target);

    private IEnumerable<string> Targets()
    {
        foreach (var fd in Directory.GetFiles($"/proc/{app.Serve.ProcessId}/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }

            if (target is not null)
            {
                yield return target;
            }
        }
    }
}
