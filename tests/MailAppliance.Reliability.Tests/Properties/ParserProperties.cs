using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MailAppliance.Fuzz;

namespace MailAppliance.Reliability.Tests.Properties;

/// <summary>
/// Every parser that reads the network or the disk (the fuzz targets of <see cref="ParserTargets"/>), fed hostile
/// bytes: no exception escapes (a parser refuses with its own failure value), its promises about its result hold,
/// and the work is bounded (allocation and time per case). A failing case is shrunk by FsCheck and printed; such a
/// case becomes a line in <see cref="ParserRegressionTests"/>.
/// </summary>
public sealed class ParserProperties(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Protocol words and the characters parsers treat specially, assembled into hostile inputs.</summary>
    private static readonly string[] Tokens =
    [
        "EHLO ", "MAIL FROM:", "RCPT TO:", "<", ">", "<>", "@", "@[127.0.0.1]", ":", ",", ";", " SIZE=", "99999999999999999999",
        " NOTIFY=", "SUCCESS", " ORCPT=rfc822;", "+2B", "BDAT ", " LAST", "AUTH PLAIN ", "=", "\"", "\\", "(", ")", "[", "]",
        "{", "}", "{4294967296}", "{5+}", "{0}", "{4097-}", "a1 ", "UID ", "FETCH ", "SEARCH ", "OR ", "NOT ", "1:*", "*", "$",
        "BODY[", "BODY.PEEK[", "HEADER.FIELDS (", "MIME", "TEXT", "<0.4294967295>", "1.2.3.", "CHARSET ", "RETURN (",
        "USER ", "PASS ", "TOP ", "RETR ", "LIST ", "\r\n", "\n", "\r", "\r\n.\r\n", ".", "..", "\0", "\t", " ",
        "\u00e9", "\ud83d\ude00", "=?utf-8?B?", "=?utf-8?q?", "?=", "Content-Type: multipart/mixed; boundary=b\r\n\r\n",
        "--b\r\n", "--b--", "Content-Transfer-Encoding: base64\r\n", "Subject: ", "From: ", "Date: ", "Thu, 13 Feb 1969 ",
        "23:59:60 ", "+9999", "+2300", "-1459", "+1400", "0001 ", "9999 ", "Jan ", "31-Dec-9999 ", "01-Jan-0001 ", "-Feb-", "MailAppliance-Spool: 2\n", "Queue-Id: ", "Rcpt-To: ", "\nMailAppliance-Trailer: ",
        "3 V1 N2\n", "1 :", ",S=", ",W=", ":2,", "&", "&-", "&AOk-", "/", "..", "%", "~",
        "require ", "[\"variables\", \"regex\"];", "if ", "elsif ", "else ", "anyof(", "allof(", "not ", "header ", ":contains ",
        ":matches ", ":regex ", ":value \"gt\" ", ":comparator \"i;ascii-numeric\" ", "\"*?\\\\\"", "\"${1}\"", "\"(a+)+$\"",
        "fileinto ", "set ", "vacation ", "text:\r\n", "\r\n.\r\n", "{ ", " }", ";", "# c\r\n", "/* ", " */", "10K", "4294967296G",
        "PUTSCRIPT ", "CHECKSCRIPT ", "AUTHENTICATE ", "NOOP ", "{5+}\r\nkeep;", "{99999999+}\r\n",
    ];

    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(Battery.PropertyCases).WithEndSize(Battery.Full ? 2000 : 300);

    public static TheoryData<string> Targets => [.. ParserTargets.All.Keys];

    /// <summary>Inputs made of protocol tokens, raw bytes and mutated seeds of the target.</summary>
    private static Gen<byte[]> Inputs(string target)
    {
        var tokens = Gen.Elements(Tokens).ListOf().Select(parts => Encoding.UTF8.GetBytes(string.Concat(parts)));
        var raw = ArbMap.Default.GeneratorFor<byte[]>();
        var seeds = Seeds.For(target).ToArray();
        var mutated = seeds.Length == 0
            ? tokens
            : Gen.Zip(Gen.Elements(seeds), Gen.Zip(Gen.Choose(0, int.MaxValue), Gen.Elements(Tokens)).ListOf())
                .Select(p => Mutate(p.Item1, p.Item2));
        return Gen.OneOf(tokens, raw, mutated, Gen.Zip(tokens, raw).Select(p => (byte[])[.. p.Item1, .. p.Item2]));
    }

    private static byte[] Mutate(byte[] seed, IEnumerable<(int Seed, string Token)> edits)
    {
        var bytes = new List<byte>(seed);
        foreach (var (s, token) in edits)
        {
            var at = bytes.Count == 0 ? 0 : s % bytes.Count;
            switch (s % 4)
            {
                case 0:
                    bytes.RemoveRange(at, Math.Min(1 + (s % 13), bytes.Count - at));
                    break;
                case 1:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(token));
                    break;
                case 2 when bytes.Count > 0:
                    bytes[at] = (byte)(s >> 8);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Hostile_bytes_get_a_failure_value_never_an_exception(string target)
    {
        var run = ParserTargets.All[target];
        var (cases, bytes, largest) = (0, 0L, 0);
        Check.One(Config, Prop.ForAll(Inputs(target).ToArbitrary(), input =>
        {
            Work.Bounded(run, input);
            (cases, bytes, largest) = (cases + 1, bytes + input.Length, Math.Max(largest, input.Length));
        }));
        output.WriteLine($"{target}: {cases:N0} cases, {bytes:N0} bytes, largest {largest:N0}");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Seeds_parse(string target)
    {
        foreach (var seed in Seeds.For(target))
        {
            Work.Bounded(ParserTargets.All[target], seed);
        }
    }
}

/// <summary>What one call of a target may cost.</summary>
internal static class Work
{
    /// <summary>Runs a target once and checks that it allocated and took no more than its input justifies.</summary>
    public static (long Allocated, TimeSpan Elapsed) Bounded(Action<byte[]> target, byte[] input)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        target(input);
        watch.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Generous constants (strings are UTF-16, a target runs several parsers), but linear in the input.
        var limit = (16L << 20) + (2048L * input.Length);
        Assert.True(allocated <= limit, $"allocated {allocated:N0} bytes for {input.Length:N0} input bytes (limit {limit:N0})");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed} for {input.Length:N0} input bytes");
        return (allocated, watch.Elapsed);
    }
}
