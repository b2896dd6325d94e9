using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Reports;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Cli;

/// <summary>
/// <c>report rejected|delivered|forwarded|discarded|bounced|deferred|accepted|all [--domain D] [--user U] [--since T]
/// [--follow] [--json]</c>: one event a line, oldest first (INTERFACE.md "Reports").
/// </summary>
public static class ReportVerbs
{
    public const string Usage = "report rejected|delivered|forwarded|discarded|bounced|deferred|all [--domain D] [--user U] [--since T] [--follow]";
    private const int PageSize = 5000;
    private static readonly string[] Headers = ["TIME", "KIND", "STAGE", "QUEUE ID", "SENDER", "RECIPIENT", "DETAIL"];

    // Followed lines cannot be aligned on widths not yet seen: each column gets a fixed minimum instead.
    private static readonly int[] FollowWidths = [24, 9, 7, 16, 28, 28, 0];

    public static async Task Report(AdminContext c)
    {
        if (c.Arguments.Count != 1)
        {
            throw new UsageException($"usage: {Usage}");
        }

        var now = TimeProvider.System.GetUtcNow();
        var filter = new ReportFilter
        {
            Kinds = c.Arguments[0] == "all" ? []
                : Enum.GetValues<ReportKind>().FirstOrDefault(k => ReportStore.Name(k) == c.Arguments[0]) is var kind && ReportStore.Name(kind) == c.Arguments[0] ? [kind]
                : throw new UsageException($"report: '{c.Arguments[0]}' is not rejected, delivered, forwarded, discarded, bounced, deferred, accepted or all"),
            Domain = c.Command.Value("--domain") is { } domain
                ? DomainName.TryParse(domain, out var parsed, out var error) ? parsed.Ascii : throw new UsageException($"--domain: {error}")
                : null,
            Involving = c.Command.Value("--user") is { } user
                ? MailAddress.TryParse(user, out var address, out var addressError) ? address.ToString() : throw new UsageException($"--user: {addressError}")
                : null,
            Since = c.Command.Value("--since") is { } since
                ? ReportSince.TryParse(since, now, out var from) ? from : throw new UsageException($"--since: '{since}' is not 90s, 10m, 1h, 7d or an RFC 3339 time")
                : null,
        };

        var store = new ReportStore(c.Database);
        var follow = c.Command.Has("--follow");
        if (!follow)
        {
            await ListAsync(c, store, filter);
            return;
        }

        await FollowAsync(c, store, filter);
    }

    private static async Task ListAsync(AdminContext c, ReportStore store, ReportFilter filter)
    {
        var events = new List<ReportEntry>();
        ReportEntry? after = null;
        while (true)
        {
            var page = await store.QueryAsync(filter, PageSize, newestFirst: false, c.CancellationToken, after);
            events.AddRange(page);
            if (page.Count < PageSize)
            {
                break;
            }

            after = page[^1];
        }

        if (c.Output.Json)
        {
            c.Output.Line(ReportJson.Serialize(events.Select(e => e.Event)));
            return;
        }

        c.Output.Table(events.Select(e => e.Event).ToList(), Headers, Cells);
    }

    /// <summary>What matches since <c>--since</c> (nothing before now without it), then each new event as it is
    /// written: one flushed line each (a JSON object a line with <c>--json</c>) until interrupted.</summary>
    private static async Task FollowAsync(AdminContext c, ReportStore store, ReportFilter filter)
    {
        var lastId = await store.LastIdAsync(c.CancellationToken);
        if (!c.Output.Json)
        {
            c.Output.Line(Fixed(Headers));
        }

        if (filter.Since is not null)
        {
            foreach (var entry in await store.QueryAsync(filter with { Until = null }, int.MaxValue, newestFirst: false, c.CancellationToken))
            {
                if (entry.Id <= lastId)
                {
                    Print(c, entry.Event);
                }
            }
        }

        await using var feed = new ReportFeed(c.Database, NullLogger<ReportFeed>.Instance);
        var follower = new ReportFollower(store, feed, TimeProvider.System);
        try
        {
            await foreach (var entry in follower.FollowAsync(filter with { Since = null }, lastId, c.CancellationToken))
            {
                Print(c, entry.Event);
            }
        }
        catch (OperationCanceledException) when (c.CancellationToken.IsCancellationRequested)
        {
        }
    }

    private static void Print(AdminContext c, ReportEvent e)
    {
        c.Output.Line(c.Output.Json ? ReportJson.Serialize(e) : Fixed(Cells(e)));
        c.Output.Flush();
    }

    private static string[] Cells(ReportEvent e) =>
    [
        ReportJson.FormatTime(e.Time),
        ReportStore.Name(e.Kind),
        e.Stage is { } stage ? ReportStore.Name(stage) : "-",
        e.QueueId ?? "-",
        e.Sender is null ? "-" : e.Sender.Length == 0 ? "<>" : e.Sender,
        e.Recipient ?? "-",
        ReportText.Detail(e) is { Length: > 0 } detail ? detail : "-",
    ];

    private static string Fixed(string[] cells) =>
        string.Join("  ", cells.Select((cell, i) => i == cells.Length - 1 ? cell : cell.PadRight(FollowWidths[i]))).TrimEnd();
}
