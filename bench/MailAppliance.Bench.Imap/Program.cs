using MailAppliance.Bench;
using MailAppliance.Bench.Imap;

const string Usage = """
    mailappliance-bench-imap prepare  --data DIR --user u1@bench.test [--messages 10000]
    mailappliance-bench-imap populate --data DIR --user u1@bench.test --mailbox NAME --messages N [--template INBOX]
    mailappliance-bench-imap fetch    --port P --user U --password W [--mailbox INBOX] [--runs 3] [--concurrency 4]
    mailappliance-bench-imap scale    --port P --user U --password W --mailboxes INBOX,Scale100k,Scale1M [--pid PID] [--runs 3]
    mailappliance-bench-imap idle     --port P --user U --password W --pid PID --connections N [--sources K] [--settle 10]
    """;

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var options = new Options(args[1..]);
var token = CancellationToken.None;
switch (args[0])
{
    case "prepare": return await PrepareRun.RunVerbAsync(options, token);
    case "populate": return await PopulateRun.RunVerbAsync(options, token);
    case "fetch": return await FetchRun.RunVerbAsync(options, token);
    case "scale": return await ScaleRun.RunVerbAsync(options, token);
    case "idle": return await IdleRun.RunVerbAsync(options, token);
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}
