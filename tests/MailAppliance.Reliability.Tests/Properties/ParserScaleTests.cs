using System.Text;
using MailAppliance.Fuzz;
using Xunit.Abstractions;

namespace MailAppliance.Reliability.Tests.Properties;

/// <summary>
/// Work grows linearly with hostile input: each target gets one pattern repeated to 16 KiB and to 64 KiB (four
/// times as much); its allocation may grow at most eightfold (quadratic work would grow sixteenfold), and 64 KiB
/// must take under ten seconds on a shared machine.
/// </summary>
public sealed class ParserScaleTests(ITestOutputHelper output)
{
    private static readonly string[] Patterns =
    [
        "(", ")", "((", "\"", "\\", "{", "{4294967296}\r\n", "{0}\r\n", "a ", "a OR ", "a NOT ", "<", "@", ":", ",", ";",
        "=?utf-8?q?=C3=A9?= ", "=?", "\r", "\n", "\r\n", "\0", "\u00ff", ".", "\r\n.", "1.", "[", "]", "--b\r\n",
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n", "Content-Type: message/rfc822\r\n\r\n", "a: b\r\n", " c\r\n",
        "Rcpt-To: x\n", "1 :x\n", "&", "&AOk", "x,S=1", "%%", "+", "RCPT TO:<a@b>\r\n", "1,", "1:*,", "BODY[1.",
    ];

    public static TheoryData<string> Targets => [.. ParserTargets.All.Keys];

    private static byte[] Repeat(string pattern, int size)
    {
        var unit = Encoding.UTF8.GetBytes(pattern);
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = unit[i % unit.Length];
        }

        return bytes;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Work_grows_linearly_with_hostile_input(string target)
    {
        var run = ParserTargets.All[target];
        var worst = (Ratio: 0.0, Pattern: "");
        foreach (var pattern in Patterns)
        {
            // Each target also sees the pattern after a line with the command it belongs to, where that matters.
            foreach (var prefix in Prefixes(target))
            {
                var small = Work.Bounded(run, [.. Encoding.UTF8.GetBytes(prefix), .. Repeat(pattern, 16 * 1024)]);
                var large = Work.Bounded(run, [.. Encoding.UTF8.GetBytes(prefix), .. Repeat(pattern, 64 * 1024)]);
                var ratio = (double)large.Allocated / Math.Max(small.Allocated, 64 * 1024);
                if (ratio > worst.Ratio)
                {
                    worst = (ratio, prefix + pattern);
                }

                Assert.True(ratio <= 8, $"{target}: {prefix}{pattern.ReplaceLineEndings("\\n")} allocated {small.Allocated:N0} for 16 KiB and {large.Allocated:N0} for 64 KiB");
            }
        }

        output.WriteLine($"{target}: worst growth {worst.Ratio:F2}x for {worst.Pattern.ReplaceLineEndings("\\n")}");
    }

    private static string[] Prefixes(string target) => target switch
    {
        "smtp-command" => ["", "MAIL FROM:<", "RCPT TO:<a@b> "],
        "imap-command" => ["", "a SEARCH ", "a FETCH 1 (", "a UID FETCH 1:* BODY[", "a LOGIN \""],
        "imap-section" => ["", "1.2.3\n"],
        "mime" => ["", "Content-Type: multipart/mixed; boundary=b\r\n\r\n"],
        "spool" => ["", "MailAppliance-Spool: 2\n"],
        "uidlist" => ["", "3 V1 N1\n"],
        "sieve" => ["", "require [\"variables\", \"regex\"];\r\nif header :regex \"subject\" \"", "if anyof(", "if true { keep; }\r\nif true {", "set \"a\" text:\r\n"],
        "managesieve-command" => ["", "PUTSCRIPT \"s\" ", "NOOP \""],
        _ => [""],
    };
}
