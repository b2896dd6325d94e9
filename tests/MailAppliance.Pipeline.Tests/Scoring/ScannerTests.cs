using System.Net;
using System.Text;
using MailAppliance.Pipeline.Scoring;
using MailAppliance.Pipeline.Scoring.Rules;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Pipeline.Tests.Scoring;

/// <summary>The scanner without network or database: rules, built-in tells, headers, truncation.</summary>
public sealed class ScannerTests
{
    private static SpamScanner Scanner(SpamOptions? options = null, RulesSource? rules = null) =>
        new(options ?? new SpamOptions(), rules ?? RulesSource.BuiltInOnly(), null, null, null, null, TimeProvider.System,
            NullLogger.Instance, "mx.example.test", d => d.Equals("example.test", StringComparison.OrdinalIgnoreCase));

    private static async Task<RecipientScan> Scan(byte[] message, ScanEnvelope? envelope = null, SpamScanner? scanner = null, SenderAuthentication? auth = null)
    {
        using var stream = new MemoryStream(message);
        var scan = await (scanner ?? Scanner()).ScanAsync(stream, envelope ?? ScanEnvelope.None, auth, [null], ScanMode.Check, CancellationToken.None);
        return Assert.Single(scan.Recipients);
    }

    private static string[] Names(RecipientScan scan) => scan.Symbols.Select(s => s.Name).ToArray();

    [Fact]
    public async Task GTUBE_scores_1000_and_is_rejected()
    {
        var scan = await Scan(Messages.Plain("Hello\n" + Messages.Gtube + "\n"));
        Assert.Contains(new SpamSymbol("GTUBE", 1000), scan.Symbols);
        Assert.True(scan.Score >= 1000);
        Assert.Equal(SpamVerdict.Reject, scan.Verdict);
    }

    [Fact]
    public async Task An_ordinary_message_is_ham_with_no_tests()
    {
        var scan = await Scan(Messages.Plain("Shall we meet at noon at the usual place?\nAlice"));
        Assert.Empty(scan.Symbols);
        Assert.Equal(SpamVerdict.Ham, scan.Verdict);
        Assert.Equal(
            [new("X-Spam-Score", "0.0"), new("X-Spam-Status", "No, score=0.0 required=5.0 tests=none")],
            scan.Headers);
    }

    [Fact]
    public async Task Missing_Date_and_Message_ID_are_tells()
    {
        var scan = await Scan(Messages.Plain("hello there", date: false, messageId: false));
        Assert.Contains("MISSING_DATE", Names(scan));
        Assert.Contains("MISSING_MID", Names(scan));
        Assert.DoesNotContain(Names(scan), n => n.StartsWith("__", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Html_only_with_a_mismatched_link_and_a_bare_ip()
    {
        var scan = await Scan(Messages.HtmlOnly("""<p>Please confirm at <a href="http://192.0.2.7/login">https://www.bank.test/secure</a></p>"""));
        Assert.Contains("MIME_HTML_ONLY", Names(scan));
        Assert.Contains("LINK_TEXT_MISMATCH", Names(scan));
        Assert.Contains("NUMERIC_HTTP_ADDR", Names(scan));

        var honest = await Scan(Messages.HtmlOnly("""<p>See <a href="https://www.bank.test/a">www.bank.test</a> or <a href="https://bank.test/b">click here</a></p>"""));
        Assert.DoesNotContain("LINK_TEXT_MISMATCH", Names(honest));
    }

    [Fact]
    public async Task Capitals_and_base64_text_are_tells()
    {
        var caps = await Scan(Messages.Plain(string.Concat(Enumerable.Repeat("BUY NOW AND SAVE BIG ON EVERYTHING TODAY ONLY ", 8)), subject: "FREE MONEY WAITING FOR YOU"));
        Assert.Contains("SUBJ_ALL_CAPS", Names(caps));
        Assert.Contains("BODY_MOSTLY_CAPS", Names(caps));
        var base64 = await Scan(Messages.Base64Text("Nothing here needs base64 at all."));
        Assert.Contains("MIME_BASE64_TEXT", Names(base64));
    }

    [Fact]
    public async Task Forged_helo_and_from_differing_from_the_envelope()
    {
        var envelope = new ScanEnvelope(IPAddress.Parse("198.51.100.9"), "mx.example.test", "bounce@other.test", ["bob@example.test"]);
        var scan = await Scan(Messages.Plain("hi"), envelope);
        Assert.Contains("FORGED_HELO", Names(scan));
        Assert.Contains("FROM_NEQ_ENVFROM", Names(scan));

        var literal = await Scan(Messages.Plain("hi"), envelope with { Helo = "[203.0.113.1]", MailFrom = "alice@sender.test" });
        Assert.Contains("FORGED_HELO", Names(literal));
        Assert.DoesNotContain("FROM_NEQ_ENVFROM", Names(literal));
        var honest = await Scan(Messages.Plain("hi"), envelope with { Helo = "[198.51.100.9]", MailFrom = "alice@sender.test" });
        Assert.DoesNotContain("FORGED_HELO", Names(honest));
    }

    [Fact]
    public async Task Authentication_results_become_symbols()
    {
        var auth = new SenderAuthentication(AuthResult.Fail, "sender.test", AuthResult.None, [], AuthResult.Fail);
        var scan = await Scan(Messages.Plain("hi"), auth: auth);
        Assert.Contains("SPF_FAIL", Names(scan));
        Assert.Contains("DMARC_FAIL", Names(scan));
    }

    [Fact]
    public async Task Status_header_rounds_to_one_decimal_and_Yes_uses_the_unrounded_score()
    {
        var rules = RulesFrom("body NEARLY /nearly/\nscore NEARLY 4.96");
        var scan = await Scan(Messages.Plain("nearly there"), scanner: Scanner(rules: rules));
        Assert.Equal(4.96, scan.Score, 6);
        Assert.False(scan.IsSpam);
        Assert.Equal(new("X-Spam-Status", "No, score=5.0 required=5.0 tests=NEARLY"), scan.Headers[^1]);

        var over = await Scan(Messages.Plain("nearly there"), scanner: Scanner(new SpamOptions { TagThreshold = 4.9 }, rules));
        Assert.Equal([new("X-Spam-Flag", "YES"), new("X-Spam-Score", "5.0"), new("X-Spam-Status", "Yes, score=5.0 required=4.9 tests=NEARLY")], over.Headers);
    }

    [Fact]
    public async Task A_message_over_the_scan_size_is_scored_on_its_first_part()
    {
        var body = new StringBuilder();
        while (body.Length < 300_000)
        {
            body.Append("An ordinary line of a long report, nothing to see here.\n");
        }

        body.Append(Messages.Gtube);
        var scan = await Scan(Messages.Plain(body.ToString()), scanner: Scanner(new SpamOptions { MaxScanSize = 64 * 1024 }));
        Assert.True(scan.Partial);
        Assert.Contains("SCAN_TRUNCATED", Names(scan));
        Assert.DoesNotContain("GTUBE", Names(scan)); // past the scanned part
        Assert.Contains("SCAN_TRUNCATED", scan.Headers[^1].Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_regex_that_runs_out_of_time_is_a_zero_temperror()
    {
        // Catastrophic backtracking on a long run of a's.
        var rules = RulesFrom("body SLOW /(a+)+b/");
        var scan = await Scan(Messages.Plain(new string('a', 5000) + "c"), scanner: Scanner(rules: rules));
        Assert.Contains(new SpamSymbol("SLOW_TEMPERROR", 0), scan.Symbols);
    }

    [Fact]
    public async Task Admin_rules_file_is_reloaded_on_change_and_a_bad_edit_keeps_the_old_rules()
    {
        var file = Path.Combine(Path.GetTempPath(), $"spam-rules-{Guid.NewGuid():N}.cf");
        try
        {
            File.WriteAllText(file, "body FRIDAY /friday/i\nscore FRIDAY 3\n");
            var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
            var rules = RulesSource.Load(file, clock, NullLogger.Instance);
            var scanner = Scanner(rules: rules);
            Assert.Contains(new SpamSymbol("FRIDAY", 3), (await Scan(Messages.Plain("see you friday"), scanner: scanner)).Symbols);

            File.WriteAllText(file, "body FRIDAY /friday/i\nscore FRIDAY 4.5\n");
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));
            clock.Advance(TimeSpan.FromSeconds(3));
            Assert.Contains(new SpamSymbol("FRIDAY", 4.5), (await Scan(Messages.Plain("see you friday"), scanner: scanner)).Symbols);

            File.WriteAllText(file, "body FRIDAY /friday(/i\n");
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(10));
            clock.Advance(TimeSpan.FromSeconds(3));
            Assert.Contains(new SpamSymbol("FRIDAY", 4.5), (await Scan(Messages.Plain("see you friday"), scanner: scanner)).Symbols);
            Assert.StartsWith($"{file}:1: bad regex", rules.LastError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static RulesSource RulesFrom(string text)
    {
        var file = Path.Combine(Path.GetTempPath(), $"spam-rules-{Guid.NewGuid():N}.cf");
        File.WriteAllText(file, text);
        return RulesSource.Load(file, TimeProvider.System, NullLogger.Instance);
    }
}
