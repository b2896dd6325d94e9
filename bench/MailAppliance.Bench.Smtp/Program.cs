using MailAppliance.Bench;
using MailAppliance.Bench.Smtp;

const string Usage = """
    mailappliance-bench-smtp load    --port P --connections C --messages N --size BYTES --rcpt-domain bench.test --users K
    mailappliance-bench-smtp rss     --pid PID --port P --size 50M [--rcpt u1@bench.test] [--settle SECONDS] [--warmup N]
    mailappliance-bench-smtp backlog --config F --data DIR --port P [--server /tmp/ma-bench-out/mailappliance]
                                     [--messages 10000] [--size 1K] [--users 100] [--connections 8] [--log FILE]
    mailappliance-bench-smtp outbound --port P --sink-port S [--label ours] [--messages 2000] [--size 1K] [--connections 8]
                                     [--rcpt-domain remote.bench.test] [--timeout 900]
    """;

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var options = new Options(args[1..]);
return args[0] switch
{
    "load" => await LoadRun.RunVerbAsync(options),
    "rss" => await RssRun.RunVerbAsync(options),
    "backlog" => await BacklogRun.RunVerbAsync(options),
    "outbound" => await OutboundRun.RunVerbAsync(options),
    _ => WriteUsage(Usage),
};

static int WriteUsage(string usage)
{
    Console.Error.WriteLine(usage);
    return 2;
}
