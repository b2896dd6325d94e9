using MailAppliance.Bench;
using MailAppliance.Bench.Pop3;

const string Usage = """
    mailappliance-bench-pop3 retrieve --server /tmp/ma-bench-pop3-out/mailappliance --dir DIR --port P
                                      [--users 1] [--messages 2000] [--size 4K] [--tls] [--rounds 3] [--report FILE]

    Starts `mailappliance serve` on 127.0.0.1:P (POP3) and P+1 (POP3S) with its own embedded PostgreSQL under
    DIR/data, creates u1..uK@bench.test, puts N messages into each INBOX (files written into the maildir, then
    `mailappliance reconstruct --user`), and times one client per user doing login, STAT, UIDL, RETR of every
    message and QUIT, all users at once, --rounds times (round 1 is cold: JIT). DIR must be traversable by the postgres user (chmod 755).
    """;

if (args.Length == 0 || args[0] != "retrieve")
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var options = new Options(args[1..]);
return await RetrieveRun.RunVerbAsync(options);
