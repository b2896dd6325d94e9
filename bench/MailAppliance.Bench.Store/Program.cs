using System.Globalization;
using System.Text.Json;
using MailAppliance.Bench.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

// mailappliance-bench-store: I/O benchmarks of the mail store (maildir tree + PostgreSQL index), fsync on.
// Human-readable figures go to stdout, then one JSON line with the same figures; logs go to stderr.
const string Usage = """
    usage:
      mailappliance-bench-store deliver --data DIR [--connection CS] --users N --messages M --concurrency C --size BYTES
                                        [--user-prefix P] [--report FILE] [--print-uids] [--warmup K] [--shared-store]
      mailappliance-bench-store reconstruct --data DIR [--connection CS] --messages M [--user LOCALPART] [--report FILE]
                                            [--breakdown] [--again-with-index]
    Without --connection, the embedded PostgreSQL cluster under DIR/pg is started (created if needed) and stopped.
    --warmup K delivers K untimed messages per worker first, into the INBOX of <prefix>warmup.
    --shared-store gives every worker the same MailStore, as the appliance's delivery sessions share its one store
      (and so its group commit); without it each worker has a store of its own, as separate processes would.
    --print-uids prints one line per delivery: "uid <worker> <user> <uid>", in the order each worker got them.
    """;

var verbs = new Dictionary<string, (Dictionary<string, OptionKind> Options, string[] Required)>(StringComparer.Ordinal)
{
    ["deliver"] = (new()
    {
        ["data"] = OptionKind.Text, ["connection"] = OptionKind.Text, ["users"] = OptionKind.Count, ["messages"] = OptionKind.Count,
        ["concurrency"] = OptionKind.Count, ["size"] = OptionKind.Count, ["user-prefix"] = OptionKind.Text, ["report"] = OptionKind.Text,
        ["print-uids"] = OptionKind.Flag, ["warmup"] = OptionKind.Count, ["shared-store"] = OptionKind.Flag,
    }, ["data", "users", "messages", "concurrency", "size"]),
    ["reconstruct"] = (new()
    {
        ["data"] = OptionKind.Text, ["connection"] = OptionKind.Text, ["messages"] = OptionKind.Count, ["user"] = OptionKind.Text,
        ["report"] = OptionKind.Text, ["breakdown"] = OptionKind.Flag, ["again-with-index"] = OptionKind.Flag,
    }, ["data", "messages"]),
};

if (args.Length == 0 || !verbs.TryGetValue(args[0], out var verb))
{
    await Console.Error.WriteLineAsync(Usage);
    return 2;
}

if (!BenchArguments.TryParse(args[1..], verb.Options, verb.Required, out var options, out var error))
{
    await Console.Error.WriteLineAsync($"{args[0]}: {error}\n{Usage}");
    return 2;
}

using var loggers = LoggerFactory.Create(builder => builder
    .SetMinimumLevel(LogLevel.Warning)
    .AddSimpleConsole(o => o.SingleLine = true)
    .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var concurrency = args[0] == "deliver" ? options.Count("concurrency") : Environment.ProcessorCount;
await using var environment = await BenchEnvironment.OpenAsync(options.Text("data"), options.OptionalText("connection"), concurrency, loggers, cancel.Token);
object figures;
if (args[0] == "deliver")
{
    var settings = new DeliverSettings(
        options.Count("users"), options.Count("messages"), concurrency, options.Count("size"), options.OptionalText("user-prefix") ?? "user", options.Flag("print-uids"), options.Count("warmup", 0),
        options.Flag("shared-store"));
    var (deliver, receipts) = await DeliverBenchmark.RunAsync(environment, settings, cancel.Token);
    if (settings.PrintUids)
    {
        foreach (var receipt in receipts)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"uid {receipt.Worker} {receipt.User} {receipt.Uid}"));
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"deliver: {deliver.Messages} messages of {deliver.SizeBytes} bytes into {deliver.Users} mailboxes, concurrency {deliver.Concurrency}{(deliver.SharedStore ? " (shared store)" : "")}: " +
        $"{deliver.Seconds:F2} s, {deliver.DeliveriesPerSecond:F1} deliveries/s, latency p50 {deliver.P50Ms:F1} ms, p99 {deliver.P99Ms:F1} ms, max {deliver.MaxMs:F1} ms"));
    figures = deliver;
}
else
{
    var settings = new ReconstructSettings(options.Count("messages"), options.OptionalText("user") ?? "reconstruct", options.Flag("breakdown"), options.Flag("again-with-index"));
    var reconstruct = await ReconstructBenchmark.RunAsync(environment, settings, Console.Out, cancel.Token);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"reconstruct: {reconstruct.Messages} messages in {reconstruct.Seconds:F2} s, {reconstruct.MessagesPerSecond:F1} messages/s (preparation {reconstruct.PrepareSeconds:F1} s)"));
    if (reconstruct.ScanSeconds is { } scan && reconstruct.ParseOnlySeconds is { } parse)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reconstruct: breakdown without PostgreSQL: folder scan {scan:F2} s, parsing every file {parse:F2} s"));
    }

    if (reconstruct.AgainWithIndexSeconds is { } again)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reconstruct: again with the index in place: {again:F2} s"));
    }

    figures = reconstruct;
}

var json = JsonSerializer.Serialize(figures, figures.GetType(), new JsonSerializerOptions(JsonSerializerDefaults.Web));
Console.WriteLine(json);
if (options.OptionalText("report") is { } report)
{
    await File.AppendAllTextAsync(report, json + "\n", cancel.Token);
}

return 0;
