using System.Text;
using MailAppliance.Fuzz;
using MailAppliance.Imap.Protocol;
using MailAppliance.Mime;

namespace MailAppliance.Reliability.Tests.Properties;

/// <summary>
/// What the properties and the fuzzer found, kept as cases, and the hostile inputs the issue names, at the parser
/// level (the same inputs against a running server are in Hostile/).
/// </summary>
public sealed class ParserRegressionTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static TheoryData<string, string> Findings
    {
        get
        {
            var data = new TheoryData<string, string>();
            var root = Path.Combine(AppContext.BaseDirectory, "Properties", "Findings");
            foreach (var file in Directory.Exists(root) ? Directory.GetFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray() : [])
            {
                data.Add(Path.GetFileName(Path.GetDirectoryName(file)!), Path.GetFileName(file));
            }

            return data;
        }
    }

    /// <summary>
    /// Every input afl++ found crashing a target (scripts/fuzz.sh), kept under Properties/Findings/TARGET/: uidlist
    /// records with a CR, a tab or an empty extension field threw ArgumentException out of UidList.Parse.
    /// </summary>
    [Theory]
    [MemberData(nameof(Findings))]
    public void Fuzzer_findings_stay_fixed(string target, string file) =>
        Work.Bounded(ParserTargets.All[target], File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Properties", "Findings", target, file)));

    /// <summary>Found by ParserScaleTests: each part number cut the rest of the string off again (quadratic).</summary>
    [Fact]
    public void A_section_spec_of_10000_parts_costs_linear_work()
    {
        var spec = string.Join('.', Enumerable.Repeat("1", 10_000)) + ".HEADER";
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(SectionSpec.TryParse(spec, out var parsed));
        Assert.Equal(10_000, parsed.Parts.Count);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 2 << 20, "a 20 KB section spec allocates under 2 MiB");
        Work.Bounded(ParserTargets.ImapSection, Bytes(spec + "\nSubject: x\r\n\r\nbody\r\n"));
    }

    /// <summary>Found by the properties: a zone past ±14:00 threw ArgumentOutOfRangeException out of APPEND's date.</summary>
    [Theory]
    [InlineData("05-Dec-2026 12:00:00 +5000")]
    [InlineData("05-Dec-2026 12:00:00 -1500")]
    [InlineData("05-Dec-2026 12:00:00 +0099")]
    [InlineData("01-Jan-0001 00:00:00 +0100")]
    [InlineData("31-Dec-9999 23:59:59 -0100")]
    public void An_imap_date_time_out_of_range_is_refused_not_thrown(string text) =>
        Assert.False(SearchParser.TryParseDateTime(text, out _));

    [Fact]
    public void The_widest_imap_zones_still_parse()
    {
        Assert.True(SearchParser.TryParseDateTime("05-Dec-2026 12:00:00 +1400", out var east));
        Assert.Equal(TimeSpan.FromHours(14), east.Offset);
        Assert.True(SearchParser.TryParseDateTime("05-Dec-2026 12:00:00 -1200", out var west));
        Assert.Equal(TimeSpan.FromHours(-12), west.Offset);
    }

    /// <summary>
    /// Found in review of the same rule: a Date: field with zone +2300 (or an instant before year 1) threw out of
    /// DateParser, whose contract is "never throws", and so out of anything that parses a message's date.
    /// </summary>
    [Theory]
    [InlineData("Thu, 13 Feb 1969 23:32:54 +2300")]
    [InlineData("Thu, 13 Feb 1969 23:32:54 -1459")]
    [InlineData("1 Jan 0001 00:00:00 +0100")]
    [InlineData("31 Dec 9998 23:59:59 -1400")]
    public void A_date_field_out_of_range_gives_no_exception(string value)
    {
        _ = DateParser.Parse(value);
        Work.Bounded(ParserTargets.Mime, Bytes($"Date: {value}\r\nSubject: x\r\n\r\nbody\r\n"));
    }

    [Fact]
    public void A_zone_beyond_14_hours_is_unknown()
    {
        Assert.Equal(TimeSpan.Zero, DateParser.Parse("Thu, 13 Feb 1969 23:32:54 +2300")!.Value.Offset);
        Assert.Equal(TimeSpan.FromHours(14), DateParser.Parse("Thu, 13 Feb 1969 23:32:54 +1400")!.Value.Offset);
    }

    /// <summary>The named inputs, at the parser: each refused with the parser's own value, in bounded work.</summary>
    [Fact]
    public void Named_hostile_inputs_are_refused_in_bounded_work()
    {
        // 10,000-term SEARCH (within the 64 KiB line), nesting past the limit, NUL bytes, invalid UTF-8.
        Work.Bounded(ParserTargets.ImapCommand, Bytes("a SEARCH " + string.Concat(Enumerable.Repeat("OR SEEN ", 5_000)) + "ALL\r\n"));
        Work.Bounded(ParserTargets.ImapCommand, Bytes("a SEARCH " + string.Concat(Enumerable.Repeat("NOT ", 10_000)) + "ALL\r\n"));
        Work.Bounded(ParserTargets.ImapCommand, Bytes("a SEARCH " + new string('(', 10_000) + "ALL" + new string(')', 10_000) + "\r\n"));
        Work.Bounded(ParserTargets.ImapCommand, Bytes("a FETCH 1 " + new string('(', 30_000) + "\r\n"));
        Work.Bounded(ParserTargets.ImapCommand, Bytes("a APPEND INBOX {4294967296}\r\n"));
        Work.Bounded(ParserTargets.ImapCommand, Bytes("a APPEND INBOX {999999999999}\r\n"));
        Work.Bounded(ParserTargets.ImapCommand, [.. Bytes("a LOGIN \"\0\xff\xfe\" x\r\n"), 0xc3, 0x28, 0xff, 0x0d, 0x0a]);
        Work.Bounded(ParserTargets.SmtpCommand, [.. Bytes("MAIL FROM:<a\0b@example.test>\r\nRCPT TO:<"), 0xff, 0xfe, .. Bytes("@x>\r\n")]);
        Work.Bounded(ParserTargets.Pop3Command, [.. Bytes("USER a\0b\r\nPASS "), 0xc3, 0x28, .. Bytes("\r\n")]);
        Work.Bounded(ParserTargets.Mime, Bytes(string.Concat(Enumerable.Repeat("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n", 10_000))));

        Assert.True(ImapCommandParser.TryGetLiteralMarker(Bytes("a APPEND INBOX {4294967296}"), out var marker, out _));
        Assert.Equal(4294967296L, marker.Size); // read as a number, refused by the session's limit before any byte is read
        Assert.False(ImapCommandParser.TryGetLiteralMarker(Bytes("a APPEND INBOX {9999999999999}"), out _, out _));
    }
}
