namespace MailAppliance.Mime.Tests.Sections;

/// <summary>RFC 3501 §6.4.5 section resolution over offsets, in CRLF terms.</summary>
public sealed class SectionTests
{
    private static readonly byte[] Raw = TestMessages.Lf("""
        Subject: outer
        From: a@example.org
        Content-Type: multipart/mixed; boundary=b

        --b
        Content-Type: text/plain

        first
        --b
        Content-Type: message/rfc822

        Subject: inner
        From: c@example.org
        Content-Type: multipart/alternative; boundary=c

        --c

        inner text
        --c
        Content-Type: text/html

        <p>html</p>
        --c--
        --b--

        """);

    private static readonly MessageStructure Structure = MimeParser.Parse(Raw);

    [Theory]
    [InlineData("1", "first")]
    [InlineData("1.MIME", "Content-Type: text/plain\r\n\r\n")]
    [InlineData("2.HEADER", "Subject: inner\r\nFrom: c@example.org\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n")]
    [InlineData("2.1", "inner text")]
    [InlineData("2.1.MIME", "\r\n")]
    [InlineData("2.2", "<p>html</p>")]
    [InlineData("2.2.MIME", "Content-Type: text/html\r\n\r\n")]
    [InlineData("2.HEADER.FIELDS (FROM)", "From: c@example.org\r\n\r\n")]
    [InlineData("HEADER.FIELDS (Subject From)", "Subject: outer\r\nFrom: a@example.org\r\n\r\n")]
    [InlineData("HEADER.FIELDS.NOT (Subject)", "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")]
    [InlineData("HEADER.FIELDS (X-None)", "\r\n")]
    [InlineData("1.HEADER", "<none>")]
    [InlineData("3", "<none>")]
    [InlineData("1.1", "<none>")]
    [InlineData("2.3", "<none>")]
    public void Resolves_sections(string section, string expected) =>
        Assert.Equal(expected, TestMessages.Section(Raw, Structure, section));

    [Fact]
    public void Whole_message_and_text_are_served_with_crlf()
    {
        var whole = TestMessages.Section(Raw, Structure, string.Empty);
        Assert.Equal(Structure.CrlfLength, whole.Length);
        Assert.DoesNotContain("\r\r", whole, StringComparison.Ordinal);
        Assert.Equal(whole.Replace("\r\n", "\n", StringComparison.Ordinal), System.Text.Encoding.Latin1.GetString(Raw));
        Assert.EndsWith("--c--\r\n--b--\r\n", TestMessages.Section(Raw, Structure, "TEXT"), StringComparison.Ordinal);
    }

    [Fact]
    public void Partial_fetch_is_a_slice_of_the_crlf_stream()
    {
        Assert.True(SectionSpec.TryParse("2", out var spec));
        var content = Structure.Resolve(spec)!;
        using var file = new MemoryStream(Raw);
        using var stream = content.Open(file);
        var all = new byte[content.CrlfLength];
        stream.ReadExactly(all);
        // BODY[2]<5.10>: the server skips 5 CRLF-term octets and sends 10.
        Assert.Equal(System.Text.Encoding.Latin1.GetString(all, 5, 10), TestMessages.Section(Raw, Structure, "2")[5..15]);
    }

    [Theory]
    [InlineData("", 0, SectionText.None)]
    [InlineData("1.2.3", 3, SectionText.None)]
    [InlineData("header", 0, SectionText.Header)]
    [InlineData("4.TEXT", 1, SectionText.Text)]
    [InlineData("1.MIME", 1, SectionText.Mime)]
    [InlineData("HEADER.FIELDS (a b \"c\")", 0, SectionText.HeaderFields)]
    [InlineData("2.HEADER.FIELDS.NOT (a)", 1, SectionText.HeaderFieldsNot)]
    public void Parses_section_specs(string text, int parts, SectionText kind)
    {
        Assert.True(SectionSpec.TryParse(text, out var spec));
        Assert.Equal(parts, spec.Parts.Count);
        Assert.Equal(kind, spec.Text);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1.")]
    [InlineData("MIME")]
    [InlineData("HEADER.FIELDS ()")]
    [InlineData("HEADER.FIELDS")]
    [InlineData("BOGUS")]
    public void Rejects_bad_specs(string text) => Assert.False(SectionSpec.TryParse(text, out _));

    [Fact]
    public void Deserialized_structure_resolves_the_same_ranges()
    {
        var copy = MessageStructure.Deserialize(Structure.Serialize());
        Assert.False(copy.HasHeaderValues);
        foreach (var section in Oracle.OracleComparisonTests.SectionsOf(Structure))
        {
            Assert.Equal(TestMessages.Section(Raw, Structure, section), TestMessages.Section(Raw, copy, section));
        }
    }
}

/// <summary>Partial fetches &lt;start.length&gt; against slices of the whole section, for CRLF and LF files.</summary>
public sealed class PartialFetchTests
{
    [Fact]
    public void Partial_windows_equal_slices_of_the_whole_section()
    {
        var random = new Random(7);
        foreach (var name in new[] { "simple-crlf.eml", "simple-lf.eml", "mixed-line-endings.eml", "attachments-crlf.eml", "multipart-lf.eml" })
        {
            var raw = TestMessages.Load(name);
            var s = MimeParser.Parse(raw);
            foreach (var section in Oracle.OracleComparisonTests.SectionsOf(s))
            {
                var whole = System.Text.Encoding.Latin1.GetBytes(TestMessages.Section(raw, s, section));
                Assert.True(SectionSpec.TryParse(section, out var spec));
                var content = s.Resolve(spec);
                if (content is null)
                {
                    continue;
                }

                for (var i = 0; i < 20; i++)
                {
                    var start = random.Next(whole.Length + 3);
                    var length = random.Next(whole.Length + 3);
                    using var file = new MemoryStream(raw);
                    using var partial = content.OpenPartial(file, start, length);
                    using var output = new MemoryStream();
                    partial.CopyTo(output);
                    var from = Math.Min(start, whole.Length);
                    var expected = whole.AsSpan(from, Math.Min(length, whole.Length - from)).ToArray();
                    Assert.Equal(expected, output.ToArray());
                }
            }
        }
    }
}
