using System.Text;

namespace MailAppliance.Mime.Tests.Bodies;

/// <summary>RFC 2045 §6 transfer encodings and charset decoding of text parts.</summary>
public sealed class BodyDecodingTests
{
    [Theory]
    [InlineData("SGVsbG8sIFdvcmxkIQ==", "Hello, World!")]
    [InlineData("SGVs\r\nbG8s\r\nIFdv\r\ncmxkIQ==\r\n", "Hello, World!")]
    [InlineData("SGVsbG8sIFdvcmxkIQ", "Hello, World!")] // missing padding
    [InlineData("SGV*sbG8!sIF\0dvcmxkIQ==", "Hello, World!")] // garbage skipped
    [InlineData("", "")]
    public void Base64(string encoded, string expected) =>
        Assert.Equal(expected, Encoding.Latin1.GetString(MessageBodies.Decode(Encoding.Latin1.GetBytes(encoded), "base64")));

    [Theory]
    [InlineData("caf=C3=A9", "café")]
    [InlineData("soft=\r\nbreak", "softbreak")]
    [InlineData("soft=\nbreak", "softbreak")]
    [InlineData("a=3Db", "a=b")]
    [InlineData("bad=ZZescape", "bad=ZZescape")]
    [InlineData("lower=c3=a9", "loweré")]
    [InlineData("trailing=", "trailing=")]
    [InlineData("line1\r\nline2", "line1\r\nline2")]
    [InlineData("hello  \r\nbar", "hello\r\nbar")] // RFC 2045 §6.7 (3): trailing white space was added in transport
    [InlineData("foo\t \t= \r\n=62", "foo\t \tb")] // a soft line break may have white space after its "="
    [InlineData("foo = \t\r\nbar", "foo bar")]
    [InlineData("end  ", "end")]
    [InlineData("in the  middle", "in the  middle")]
    public void Quoted_printable(string encoded, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(MessageBodies.Decode(Encoding.Latin1.GetBytes(encoded), "Quoted-Printable")));

    [Fact]
    public void Decoding_streams_survive_one_byte_reads()
    {
        var input = Encoding.ASCII.GetBytes("SGVsbG8sIFdvcmxkIQ==");
        using var d = new TransferDecodingStream(new MemoryStream(input), "base64");
        var output = new List<byte>();
        var one = new byte[1];
        while (d.Read(one, 0, 1) == 1)
        {
            output.Add(one[0]);
        }

        Assert.Equal("Hello, World!", Encoding.ASCII.GetString(output.ToArray()));
    }

    [Theory]
    [InlineData("7bit")]
    [InlineData(null)]
    public void An_identity_part_reads_back_exactly_whatever_mix_of_small_and_large_reads(string? encoding)
    {
        var input = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        using var d = new TransferDecodingStream(new MemoryStream(input), encoding);
        var output = new List<byte>();
        int[] sizes = [1, 5000, 3, 70_000, 9, 4096, 100, 16 * 1024];
        var buffer = new byte[70_000];
        for (var i = 0; ; i++)
        {
            var n = d.Read(buffer, 0, sizes[i % sizes.Length]);
            if (n == 0)
            {
                break;
            }

            output.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        Assert.Equal(input, output.ToArray());
        Assert.Equal(input.Length, d.Position);
    }

    [Fact]
    public void Text_of_parts_for_search_and_scoring()
    {
        var raw = TestMessages.Load("attachments-crlf.eml");
        var s = MimeParser.Parse(raw);
        var texts = s.TextParts().ToList();
        Assert.Equal(2, texts.Count);
        Assert.Contains("Rechnung für März. Eine sehr lange Zeile, die weich umbrochen wurde.", texts[0].ReadText(raw), StringComparison.Ordinal);
        Assert.Equal("<html><body><p>Rechnung für März</p></body></html>\n", texts[1].ReadText(raw));
        Assert.Equal("Rechnung für März", s.Root.GetDecodedValue("Subject"));
        var attachments = s.Attachments().ToList();
        Assert.Equal(new[] { "Rechnung_März.pdf", "image001.png" }, attachments.Select(a => a.FileName));
        using var file = new MemoryStream(raw);
        using var pdf = attachments[0].OpenDecodedBody(file);
        using var copy = new MemoryStream();
        pdf.CopyTo(copy);
        Assert.Equal(Enumerable.Range(0, 1024).Select(i => (byte)(i % 256)), copy.ToArray());
    }

    [Fact]
    public void Text_is_bounded_by_the_limit()
    {
        var raw = TestMessages.Load("long-lines.eml");
        var s = MimeParser.Parse(raw);
        Assert.Equal(100, s.Root.ReadText(raw, maxBytes: 100).Length);
    }

    [Fact]
    public void Legacy_charsets_and_mislabelled_8bit_text()
    {
        var raw = Encoding.Latin1.GetBytes("Content-Type: text/plain; charset=windows-1252\r\n\r\n\x80 caf\xe9\r\n");
        Assert.Equal("€ café\r\n", MimeParser.Parse(raw).Root.ReadText(raw));
        var unlabeled = Encoding.UTF8.GetBytes("Subject: x\r\n\r\ncafé\r\n");
        Assert.Equal("café\r\n", MimeParser.Parse(unlabeled).Root.ReadText(unlabeled));
        var latin = Encoding.Latin1.GetBytes("Content-Type: text/plain; charset=bogus-charset\r\n\r\ncaf\xe9\r\n");
        Assert.Equal("café\r\n", MimeParser.Parse(latin).Root.ReadText(latin));
    }

    [Fact]
    public void Crlf_normalizing_stream_turns_only_bare_lf_into_crlf()
    {
        var input = Encoding.ASCII.GetBytes("a\nb\r\nc\rd\n\n");
        using var s = new CrlfNormalizingStream(new MemoryStream(input));
        using var o = new MemoryStream();
        s.CopyTo(o);
        Assert.Equal("a\r\nb\r\nc\rd\r\n\r\n", Encoding.ASCII.GetString(o.ToArray()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Crlf_normalizing_stream_equals_a_byte_by_byte_reference_whatever_the_read_sizes(bool replaceNul)
    {
        // Runs of CR, LF and NUL across the stream's 64 KiB buffer and the caller's odd read sizes.
        var random = new Random(20261205);
        for (var round = 0; round < 40; round++)
        {
            var input = new byte[random.Next(1, 200_000)];
            for (var i = 0; i < input.Length; i++)
            {
                input[i] = random.Next(10) switch { 0 => (byte)'\n', 1 => (byte)'\r', 2 => 0, _ => (byte)random.Next(32, 127) };
            }

            var expected = new List<byte>();
            var previousCr = false;
            foreach (var b in input)
            {
                if (b == (byte)'\n' && !previousCr)
                {
                    expected.Add((byte)'\r');
                }

                expected.Add(b == 0 && replaceNul ? (byte)0x80 : b);
                previousCr = b == (byte)'\r';
            }

            using var s = new CrlfNormalizingStream(new MemoryStream(input), replaceNul: replaceNul);
            var output = new List<byte>();
            var buffer = new byte[70_000];
            int n;
            while ((n = s.Read(buffer, 0, random.Next(1, buffer.Length))) > 0)
            {
                output.AddRange(buffer.AsSpan(0, n).ToArray());
            }

            Assert.Equal(expected, output);
        }
    }
}
