using FsCheck;
using FsCheck.Fluent;
using MailAppliance.Mime.Imap;

namespace MailAppliance.Mime.Tests.Properties;

/// <summary>
/// Property tests: whatever the bytes, parsing never throws, part offsets tile the raw message exactly, chunking
/// does not change the result, the structure serializes losslessly and the IMAP views are well-formed.
/// </summary>
public sealed class ParserProperties
{
    // MIME_PROPERTY_TESTS=N runs N cases per property (default 300 keeps the suite fast).
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(
        int.TryParse(Environment.GetEnvironmentVariable("MIME_PROPERTY_TESTS"), out var n) && n > 0 ? n : 300);

    [Fact]
    public void Mime_like_messages_parse_with_exact_offsets() =>
        Check.One(Config, Prop.ForAll(MessageGenerators.MimeLike.ToArbitrary(), raw => Holds(raw)));

    [Fact]
    public void Random_bytes_parse_with_exact_offsets() =>
        Check.One(Config, Prop.ForAll(MessageGenerators.RandomBytes.ToArbitrary(), raw => Holds(raw)));

    [Fact]
    public void Mutated_corpus_messages_parse_with_exact_offsets() =>
        Check.One(Config, Prop.ForAll(MessageGenerators.MutatedCorpus.ToArbitrary(), raw => Holds(raw)));

    [Fact]
    public void Small_limits_degrade_without_losing_bytes() =>
        Check.One(Config, Prop.ForAll(MessageGenerators.MimeLike.ToArbitrary(), raw =>
        {
            var options = new MimeParserOptions { MaxNestingDepth = 2, MaxHeaderCount = 3, MaxHeaderBlockSize = 40, MaxHeaderFieldLength = 10, MaxPartCount = 4 };
            var s = MimeParser.Parse(raw, options);
            StructureInvariants.Check(raw, s);
            Assert.True(s.Root.Descendants().Count() <= 4 + 1);
            Assert.All(s.Root.Descendants(), p => Assert.True(p.Depth <= 3));
            _ = ImapViews.BodyStructure(s);
        }));

    private static void Holds(byte[] raw)
    {
        var s = MimeParser.Parse(raw);
        StructureInvariants.Check(raw, s);

        // Chunked input (3-byte writes) gives the same structure.
        var parser = new MimeParser();
        for (var i = 0; i < raw.Length; i += 3)
        {
            parser.Write(raw.AsSpan(i, Math.Min(3, raw.Length - i)));
        }

        var bytes = s.Serialize();
        Assert.Equal(bytes, parser.Complete().Serialize());
        Assert.Equal(bytes, MessageStructure.Deserialize(bytes).Serialize());

        // IMAP views are balanced and every section resolves inside the message.
        foreach (var view in new[] { ImapViews.BodyStructure(s), ImapViews.Body(s), ImapViews.Envelope(s) })
        {
            var p = 0;
            DovecotOracleParsing.SkipOne(view, ref p);
            Assert.Equal(view.Length, p);
        }

        foreach (var section in Oracle.OracleComparisonTests.SectionsOf(s))
        {
            Assert.True(SectionSpec.TryParse(section, out var spec));
            var content = s.Resolve(spec);
            if (content is not null)
            {
                Assert.All(content.Ranges, r => Assert.True(r.Offset >= 0 && r.Offset + r.Length <= raw.Length));
                _ = TestMessages.Section(raw, s, section);
            }
        }
    }
}

/// <summary>Access to the oracle's IMAP value scanner for well-formedness checks.</summary>
internal static class DovecotOracleParsing
{
    public static void SkipOne(byte[] value, ref int p) => Oracle.DovecotOracle.SkipValue(value, ref p);
}
