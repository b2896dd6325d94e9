using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace MailAppliance.Bench.Pop3;

/// <summary>What one client did: its user, messages, octets (LIST sizes) and wall-clock time.</summary>
internal sealed record ClientResult(string User, int Messages, long Octets, double Seconds);

/// <summary>
/// The <c>retrieve</c> verb: sets up an appliance with K mailboxes of N messages each, then times K concurrent
/// clients that each log in, STAT, UIDL, RETR every message and QUIT. That is repeated <c>--rounds</c> times on the
/// same mailboxes (QUIT deletes nothing): round 1 includes the JIT warming up client and server code.
/// </summary>
internal static class RetrieveRun
{
    public static async Task<int> RunVerbAsync(Options options)
    {
        var server = options.Text("server", "/tmp/ma-bench-pop3-out/mailappliance");
        var dir = options.Required("dir");
        var port = options.Int("port", 27110);
        var users = options.Int("users", 1);
        var messages = options.Int("messages", 2000);
        var size = options.Size("size", 4096);
        var tls = options.Switch("tls");
        var report = options.Text("report", "");
        var rounds = options.Int("rounds", 3);

        var config = Path.Combine(dir, "config.json");
        var data = Path.Combine(dir, "data");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Hostname = "mx.bench.test",
            Storage = new { DataDirectory = data },
            Auth = new { Pbkdf2Iterations = 1000, AllowPlaintextWithoutTls = true },
            Listeners = new
            {
                Smtp = "", Submission = "", Submissions = "", Imap = "", Imaps = "",
                Pop3 = $"127.0.0.1:{port}", Pop3s = $"127.0.0.1:{port + 1}",
            },
        }));

        await ServerProcess.RunVerbAsync(server, config, "", "domain", "add", "bench.test");
        var addresses = Enumerable.Range(1, users).Select(i => $"u{i}@bench.test").ToList();
        foreach (var address in addresses)
        {
            await ServerProcess.RunVerbAsync(server, config, "pw\n", "user", "add", address, "--password-stdin");
        }

        await using var serve = await ServerProcess.StartAsync(server, config, Path.Combine(dir, "serve.log"), port);
        var clientPort = tls ? port + 1 : port;
        // The appliance generated its certificate at start; the client accepts exactly that one.
        using var pinned = tls ? X509CertificateLoader.LoadCertificateFromFile(Path.Combine(data, "tls", "selfsigned.crt")) : null;
        long totalBytes = 0;
        foreach (var address in addresses)
        {
            totalBytes += await FillAsync(server, config, data, address, messages, size, clientPort, pinned);
        }

        Console.Error.WriteLine($"prepared {users} × {messages} messages ({totalBytes:N0} bytes on disk); retrieving {rounds} times");
        for (var round = 1; round <= rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            var results = await Task.WhenAll(addresses.Select(a => Task.Run(() => RetrieveAllAsync(clientPort, pinned, a, messages))));
            clock.Stop();

            var octets = results.Sum(r => r.Octets);
            var seconds = clock.Elapsed.TotalSeconds;
            var megabytesPerSecond = octets / 1e6 / seconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| round {round} | {size,8:N0} B | {users} mailbox(es) | {results.Sum(r => r.Messages),6:N0} msgs | {octets / 1e6,8:F1} MB | {seconds,7:F2} s | {megabytesPerSecond,7:F1} MB/s | {results.Sum(r => r.Messages) / seconds,8:F0} msg/s | slowest client {results.Max(r => r.Seconds):F2} s | {(tls ? "pop3s" : "pop3")} |"));
            var json = JsonSerializer.Serialize(new
            {
                verb = "retrieve",
                round,
                users,
                messagesPerUser = messages,
                size,
                tls,
                octets,
                seconds = Math.Round(seconds, 3),
                megabytesPerSecond = Math.Round(megabytesPerSecond, 1),
                clients = results.Select(r => new { r.User, r.Messages, r.Octets, seconds = Math.Round(r.Seconds, 3) }),
            });
            Console.WriteLine(json);
            if (report.Length > 0)
            {
                await File.AppendAllTextAsync(report, json + "\n");
            }
        }

        return 0;
    }

    /// <summary>
    /// Puts <paramref name="count"/> messages into the user's INBOX: the first login creates the maildir, the files
    /// go into new/ as another MDA would drop them, <c>reconstruct</c> indexes them, and a second login checks STAT.
    /// Nothing of this is timed. Returns the bytes written.
    /// </summary>
    private static async Task<long> FillAsync(string server, string config, string data, string address, int count, long size, int port, X509Certificate2? pinned)
    {
        await using (var first = await LoginAsync(port, pinned, address))
        {
            await first.CommandAsync("QUIT", CancellationToken.None);
        }

        var local = address[..address.IndexOf('@', StringComparison.Ordinal)];
        var inbox = Path.Combine(data, "mail", "bench.test", local, "Maildir", "new");
        long bytes = 0;
        for (var i = 1; i <= count; i++)
        {
            var message = SampleMessage.Build(size, i, address);
            bytes += message.Length;
            await File.WriteAllBytesAsync(Path.Combine(inbox, $"1795300000.M{i}P{Environment.ProcessId}.bench-{local}"), message);
        }

        await ServerProcess.RunVerbAsync(server, config, "", "reconstruct", "--user", address);
        await using var check = await LoginAsync(port, pinned, address);
        var stat = await check.CommandAsync("STAT", CancellationToken.None);
        await check.CommandAsync("QUIT", CancellationToken.None);
        if (!stat.StartsWith($"+OK {count} ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{address}: expected {count} messages, STAT said {stat}");
        }

        return bytes;
    }

    /// <summary>One client's whole session, timed from connect to the QUIT reply.</summary>
    private static async Task<ClientResult> RetrieveAllAsync(int port, X509Certificate2? pinned, string address, int expected)
    {
        var cancel = CancellationToken.None;
        var clock = Stopwatch.StartNew();
        await using var pop3 = await LoginAsync(port, pinned, address);
        var stat = (await pop3.CommandAsync("STAT", cancel)).Split(' ');
        var count = int.Parse(stat[1], CultureInfo.InvariantCulture);
        var listed = long.Parse(stat[2], CultureInfo.InvariantCulture);
        var uidls = await pop3.ListingAsync("UIDL", cancel);
        if (count != expected || uidls.Count != count)
        {
            throw new InvalidOperationException($"{address}: STAT {count}, UIDL {uidls.Count}, expected {expected}");
        }

        long octets = 0;
        for (var n = 1; n <= count; n++)
        {
            octets += await pop3.MultiLineAsync($"RETR {n}", cancel);
        }

        await pop3.CommandAsync("QUIT", cancel);
        clock.Stop();
        if (octets != listed)
        {
            throw new InvalidOperationException($"{address}: RETR gave {octets} octets, STAT said {listed}");
        }

        return new ClientResult(address, count, octets, clock.Elapsed.TotalSeconds);
    }

    private static async Task<Pop3ClientConnection> LoginAsync(int port, X509Certificate2? pinned, string address)
    {
        var pop3 = await Pop3ClientConnection.OpenAsync(port, pinned, CancellationToken.None);
        await pop3.CommandAsync("USER " + address, CancellationToken.None);
        await pop3.CommandAsync("PASS pw", CancellationToken.None);
        return pop3;
    }
}
