using System.Diagnostics;
using System.Globalization;
using MailAppliance.Bench.Imap;
using MailAppliance.Pipeline.Sieve;

namespace MailAppliance.Bench.Sieve;

/// <summary>
/// Scripts evaluated per second: a 30-rule script (the kind a procmail migration leaves: header and address
/// matches into folders, a few wildcards with variables, flags, one body rule, a dated vacation) over real messages
/// (the IMAP bench's corpus and the differential suite's messages), each run parsing the message from its bytes as
/// delivery would. Usage: mailappliance-bench-sieve [--seconds N] [--threads T] [--no-body]
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var seconds = Value(args, "--seconds", 10);
        var threads = Value(args, "--threads", 1);
        var script = Script(includeBody: !args.Contains("--no-body"));
        var cache = new SieveScriptCache();
        var compiled = cache.GetOrCompile("bench", script);
        if (compiled.Script is null)
        {
            Console.Error.WriteLine(string.Join('\n', compiled.Diagnostics.Select(d => d.Format("bench"))));
            return 1;
        }

        var messages = Enumerable.Range(0, 200).Select(Corpus.Message)
            .Concat(Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "messages"), "*.eml").Select(File.ReadAllBytes))
            .ToArray();
        var interpreter = new SieveInterpreter(TimeProvider.System, cache);
        var user = new SieveUserContext(0, "u1@bench.test", ["u1@bench.test"]) { Scores = new SieveScores(3.2, 5.0) };

        // Warm-up: JIT and the pattern caches.
        await RunAsync(interpreter, compiled.Script, messages, user, TimeSpan.FromSeconds(2));
        var stopwatch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, threads).Select(_ => Task.Run(() => RunAsync(interpreter, compiled.Script, messages, user, TimeSpan.FromSeconds(seconds)))));
        var total = counts.Sum(c => c.Runs);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var bytes = counts.Sum(c => c.Bytes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sieve: 30 rules, {messages.Length} messages (mean {messages.Average(m => m.Length) / 1024:0.0} KiB), {threads} thread(s), {elapsed:0.0} s: {total / elapsed:0} scripts/s, {elapsed * 1e6 * threads / total:0.0} µs per run, {bytes / elapsed / 1024 / 1024:0.0} MiB/s of mail"));
        return 0;
    }

    private static async Task<(long Runs, long Bytes)> RunAsync(SieveInterpreter interpreter, SieveScript script, byte[][] messages, SieveUserContext user, TimeSpan duration)
    {
        var watch = Stopwatch.StartNew();
        long runs = 0;
        long bytes = 0;
        var i = Random.Shared.Next(messages.Length);
        while (watch.Elapsed < duration)
        {
            for (var k = 0; k < 64; k++)
            {
                var message = messages[i++ % messages.Length];
                using var stream = new MemoryStream(message, writable: false);
                var result = await interpreter.RunAsync(script, new SieveRunInput(new SieveEnvelope("sender@example.org", "u1@bench.test"), stream, user) { DryRun = true }, CancellationToken.None);
                if (result.Failed)
                {
                    throw new InvalidOperationException(result.Diagnostics[0].ToString());
                }

                runs++;
                bytes += message.Length;
            }
        }

        return (runs, bytes);
    }

    private static int Value(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Thirty rules: 29 filters and a vacation.</summary>
    internal static string Script(bool includeBody) => $$"""
        require ["fileinto", "imap4flags", "variables", "envelope", "subaddress", "relational", "comparator-i;ascii-numeric",
                 "spamtest", "regex", "date", "vacation", "copy"{{(includeBody ? ", \"body\"" : "")}}];
        if spamtest :value "ge" :comparator "i;ascii-numeric" "8" { fileinto "Junk"; stop; }
        if header :contains "x-spam-flag" "yes" { fileinto "Junk"; stop; }
        if header :contains "list-id" "dev.lists.example.org" { fileinto "Lists/Dev"; stop; }
        if header :contains "list-id" "announce" { fileinto "Lists/Announce"; stop; }
        if header :matches "list-id" "*<*.lists.example.org>" { fileinto "Lists/${2}"; stop; }
        if address :domain :is "from" "github.com" { fileinto "Dev/GitHub"; }
        if address :domain :is "from" ["jira.example.com", "confluence.example.com"] { fileinto "Dev/Atlassian"; }
        if address :is "from" "ceo@example.com" { addflag "\\Flagged"; }
        if address :localpart :is "from" ["noreply", "no-reply", "donotreply"] { addflag "$Automated"; }
        if envelope :detail "to" "shopping" { fileinto "Shopping"; stop; }
        if envelope :detail "to" "travel" { fileinto "Travel"; stop; }
        if header :contains "subject" ["invoice", "rechnung", "factura"] { fileinto "Finance/Invoices"; }
        if header :contains "subject" ["receipt", "order confirmation"] { fileinto "Finance/Receipts"; }
        if header :regex "subject" "^\\[(ticket|case) #[0-9]+\\]" { fileinto "Support"; stop; }
        if header :matches "subject" "Re: *" { set "thread" "${1}"; }
        if header :contains "to" "sales@example.com" { fileinto "Sales"; }
        if header :contains "to" "support@example.com" { fileinto "Support"; }
        if header :contains "cc" "hr@example.com" { fileinto "HR"; }
        if exists "x-mailer" { if header :contains "x-mailer" "Microsoft Outlook" { addflag "$Outlook"; } }
        if size :over 5M { fileinto "Large"; }
        if address :domain :is "from" "bank.example" { fileinto "Finance/Bank"; addflag "\\Flagged"; }
        if header :contains "from" ["newsletter", "news@"] { fileinto "Newsletters"; stop; }
        if anyof (header :contains "subject" "webinar", header :contains "subject" "unsubscribe") { fileinto "Marketing"; }
        if allof (address :domain :is "from" "example.org", header :contains "subject" "meeting") { fileinto "Meetings"; }
        if header :value "ge" :comparator "i;ascii-numeric" "x-priority" "4" { addflag "$LowPriority"; }
        if date :value "lt" "date" "year" "2000" { fileinto "Ancient"; }
        if header :contains "precedence" "bulk" { fileinto "Bulk"; }
        if {{(includeBody ? "body :text :contains \"zanzibar\"" : "false")}} { addflag "$Zanzibar"; }
        if not exists "message-id" { fileinto "NoId"; }
        if currentdate :value "lt" "date" "2000-01-01" { vacation :days 7 :subject "Away" "I am away."; }
        """;
}
