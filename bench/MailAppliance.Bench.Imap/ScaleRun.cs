using System.Globalization;
using System.Text.Json;

namespace MailAppliance.Bench.Imap;

/// <summary>
/// How SELECT and a 100-message <c>FETCH n:n+99 (FLAGS ENVELOPE)</c> grow with the mailbox: each mailbox is selected
/// <c>--runs</c> times on one connection, each SELECT followed by the FETCH from the middle of the mailbox. With
/// <c>--pid</c>, also the server's resident memory before the first and after the last SELECT.
/// </summary>
internal static class ScaleRun
{
    public static async Task<int> RunVerbAsync(Options options, CancellationToken cancellationToken)
    {
        var runs = options.Int("runs", 3);
        var pid = options.Int("pid", 0);
        foreach (var mailbox in options.Required("mailboxes").Split(','))
        {
            await using var client = await Measure.LoginAsync(options, null, 64 * 1024, cancellationToken);
            var rssBefore = pid > 0 ? Measure.RssKiB(pid) : 0;
            var selects = new List<double>();
            var fetches = new List<double>();
            var exists = 0;
            var selectCpu = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var cpuBefore = pid > 0 ? Measure.CpuMilliseconds(pid) : 0;
                selects.Add(await Measure.MillisecondsAsync(() => client.CommandAsync("SELECT " + mailbox, line =>
                {
                    if (line.EndsWith(" EXISTS", StringComparison.Ordinal))
                    {
                        exists = int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
                    }
                }, cancellationToken)));
                selectCpu.Add(pid > 0 ? Measure.CpuMilliseconds(pid) - cpuBefore : 0);
                var n = Math.Max(1, (exists / 2) - 50);
                var responses = 0;
                fetches.Add(await Measure.MillisecondsAsync(async () => responses = await client.CommandAsync($"FETCH {n}:{n + 99} (FLAGS ENVELOPE)", null, cancellationToken)));
                if (responses != Math.Min(100, exists))
                {
                    throw new InvalidOperationException($"FETCH answered {responses} messages");
                }
            }

            var rssAfter = pid > 0 ? Measure.RssKiB(pid) : 0;
            var select = Measure.Median(selects);
            var fetch = Measure.Median(fetches);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {mailbox} | {exists,9:N0} | SELECT {select,8:F1} ms ({Measure.Runs(selects)}), server CPU {Measure.Median(selectCpu):F0} ms ({Measure.Runs(selectCpu, "F0")}) | FETCH n:n+99 (FLAGS ENVELOPE) {fetch,6:F1} ms ({Measure.Runs(fetches)}) | RSS {rssBefore / 1024.0:F0} → {rssAfter / 1024.0:F0} MiB |"));
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                verb = "scale", mailbox, messages = exists, selectMedianMs = Math.Round(select, 1), selectRunsMs = selects.Select(t => Math.Round(t, 1)), selectServerCpuMs = selectCpu,
                fetchMedianMs = Math.Round(fetch, 1), fetchRunsMs = fetches.Select(t => Math.Round(t, 1)), rssBeforeMiB = Math.Round(rssBefore / 1024.0, 1), rssAfterMiB = Math.Round(rssAfter / 1024.0, 1),
            }));
        }

        return 0;
    }
}
