using System.Globalization;
using System.Text.Json;

namespace MailAppliance.Bench.Imap;

/// <summary>
/// The whole-mailbox commands on the user's INBOX, each timed <c>--runs</c> times on a connection that has already
/// logged in and selected: three FETCH 1:* forms, a BODY search, STORE +FLAGS then -FLAGS, and then the fetches
/// again on 4 connections at once (the same mailbox, one user).
/// </summary>
internal static class FetchRun
{
    private static readonly (string Name, string Command)[] Fetches =
    [
        ("uid-flags-size-date", "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)"),
        ("envelope-bodystructure", "FETCH 1:* (ENVELOPE BODYSTRUCTURE)"),
        ("body-peek", "UID FETCH 1:* BODY.PEEK[]"),
    ];

    public static async Task<int> RunVerbAsync(Options options, CancellationToken cancellationToken)
    {
        var runs = options.Int("runs", 3);
        var concurrency = options.Int("concurrency", 4);
        var mailbox = options.Text("mailbox", "INBOX");
        await using var client = await Measure.LoginAsync(options, null, 64 * 1024, cancellationToken);
        var exists = 0;
        await client.CommandAsync("SELECT " + mailbox, line =>
        {
            if (line.EndsWith(" EXISTS", StringComparison.Ordinal))
            {
                exists = int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            }
        }, cancellationToken);
        Console.WriteLine($"fetch: {mailbox} holds {exists:N0} messages; {runs} runs each, medians");

        foreach (var (name, command) in Fetches)
        {
            var times = new List<double>();
            long bytes = 0;
            var responses = 0;
            for (var i = 0; i < runs; i++)
            {
                var before = client.BytesRead;
                times.Add(await Measure.MillisecondsAsync(async () => responses = await client.CommandAsync(command, null, cancellationToken)));
                bytes = client.BytesRead - before;
            }

            Report(name, command, 1, times, bytes, responses);
        }

        var hits = 0;
        var searchTimes = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            searchTimes.Add(await Measure.MillisecondsAsync(() => client.CommandAsync("UID SEARCH BODY " + Corpus.SearchWord, line =>
            {
                if (line.StartsWith("* SEARCH", StringComparison.Ordinal))
                {
                    hits = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length - 2;
                }
            }, cancellationToken)));
        }

        Report("search-body", "UID SEARCH BODY " + Corpus.SearchWord, 1, searchTimes, 0, hits);

        var add = new List<double>();
        var remove = new List<double>();
        var storeResponses = 0;
        for (var i = 0; i < runs; i++)
        {
            add.Add(await Measure.MillisecondsAsync(async () => storeResponses = await client.CommandAsync("STORE 1:* +FLAGS (\\Seen)", null, cancellationToken)));
            remove.Add(await Measure.MillisecondsAsync(() => client.CommandAsync("STORE 1:* -FLAGS (\\Seen)", null, cancellationToken)));
        }

        Report("store-add-seen", "STORE 1:* +FLAGS (\\Seen)", 1, add, 0, storeResponses);
        Report("store-remove-seen", "STORE 1:* -FLAGS (\\Seen)", 1, remove, 0, storeResponses);

        var clients = new List<ImapClient>();
        try
        {
            for (var i = 0; i < concurrency; i++)
            {
                var c = await Measure.LoginAsync(options, null, 64 * 1024, cancellationToken);
                clients.Add(c);
                await c.CommandAsync("EXAMINE " + mailbox, null, cancellationToken);
            }

            foreach (var (name, command) in Fetches)
            {
                var times = new List<double>();
                long bytes = 0;
                for (var i = 0; i < runs; i++)
                {
                    var before = clients.Sum(c => c.BytesRead);
                    times.Add(await Measure.MillisecondsAsync(() => Task.WhenAll(clients.Select(c => c.CommandAsync(command, null, cancellationToken)))));
                    bytes = clients.Sum(c => c.BytesRead) - before;
                }

                Report(name, command, concurrency, times, bytes, exists * concurrency);
            }
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }

        return 0;
    }

    /// <summary>One table line and one JSON line; the rate is over all clients (wall time of the slowest).</summary>
    private static void Report(string name, string command, int clients, List<double> times, long bytes, int responses)
    {
        var median = Measure.Median(times);
        var mbPerSecond = bytes / 1e6 / (median / 1000);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {command} | {clients} | {median,8:F0} ms ({Measure.Runs(times, "F0")}) | {bytes / 1e6,7:F1} MB | {mbPerSecond,7:F1} MB/s | {responses:N0} responses |"));
        Console.WriteLine(JsonSerializer.Serialize(new { verb = "fetch", name, command, clients, medianMs = Math.Round(median, 1), runsMs = times.Select(t => Math.Round(t, 1)), bytes, mbPerSecond = Math.Round(mbPerSecond, 1), responses }));
    }
}
