using System.IO.Pipelines;
using System.Text;

namespace MailAppliance.Mime.Tests.Parsing;

public sealed class StructureTests
{
    [Fact]
    public void Every_corpus_message_keeps_the_structure_invariants()
    {
        foreach (var name in TestMessages.Names)
        {
            var raw = TestMessages.Load(name);
            StructureInvariants.Check(raw, MimeParser.Parse(raw));
        }
    }

    [Fact]
    public void Multipart_parts_slice_the_raw_message_exactly()
    {
        var raw = TestMessages.Crlf("Subject: x\nContent-Type: multipart/mixed; boundary=\"b1\"\n\npreamble\n--b1\nContent-Type: text/plain\n\none\ntwo\n--b1\n\nbare part\n--b1--\nepilogue\n");
        var s = MimeParser.Parse(raw);
        Assert.Equal(MimePartKind.Multipart, s.Root.Kind);
        Assert.Equal(2, s.Root.Children.Count);
        var first = s.Root.Children[0];
        Assert.Equal("Content-Type: text/plain\r\n\r\n", TestMessages.Slice(raw, first.HeaderOffset, first.HeaderLength));
        // RFC 2046 §5.1.1: the CRLF before the boundary belongs to the boundary.
        Assert.Equal("one\r\ntwo", TestMessages.Slice(raw, first.BodyOffset, first.BodyLength));
        Assert.Equal(1, first.BodyLines);
        var second = s.Root.Children[1];
        Assert.Equal("\r\n", TestMessages.Slice(raw, second.HeaderOffset, second.HeaderLength));
        Assert.Equal("bare part", TestMessages.Slice(raw, second.BodyOffset, second.BodyLength));
        Assert.Equal(MimePartFlags.None, s.Root.Flags);
        StructureInvariants.Check(raw, s);
    }

    [Fact]
    public void Lf_only_message_reports_crlf_sizes()
    {
        var raw = TestMessages.Lf("From: a@b.c\nSubject: t\n\nl1\nl2\n");
        var s = MimeParser.Parse(raw);
        Assert.Equal(raw.Length, s.Length);
        Assert.Equal(raw.Length + 5, s.CrlfLength);
        Assert.Equal(24, s.Root.HeaderLength);
        Assert.Equal(27, s.Root.HeaderCrlfLength);
        Assert.Equal(6, s.Root.BodyLength);
        Assert.Equal(8, s.Root.BodyCrlfLength);
        Assert.Equal(2, s.Root.BodyLines);
    }

    [Fact]
    public void Nested_message_rfc822_is_parsed_recursively()
    {
        var raw = TestMessages.Crlf("Subject: outer\nContent-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\ntext\n--i\nContent-Type: text/html\n\n<b>x</b>\n--i--\n--o--\n");
        var s = MimeParser.Parse(raw);
        var attached = s.Root.Children[0];
        Assert.Equal(MimePartKind.Message, attached.Kind);
        var inner = attached.Message!;
        Assert.Equal("inner", inner.GetDecodedValue("Subject"));
        Assert.Equal(MimePartKind.Multipart, inner.Kind);
        Assert.Equal(2, inner.Children.Count);
        Assert.Equal("<b>x</b>", TestMessages.Slice(raw, inner.Children[1].BodyOffset, inner.Children[1].BodyLength));
        StructureInvariants.Check(raw, s);
    }

    [Fact]
    public void Unterminated_multipart_runs_to_the_end_and_is_flagged()
    {
        var raw = TestMessages.Crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\npart one\n--b\n\npart two without end\n");
        var s = MimeParser.Parse(raw);
        Assert.Equal(2, s.Root.Children.Count);
        Assert.True(s.Root.Flags.HasFlag(MimePartFlags.MissingCloseDelimiter));
        Assert.Equal("part two without end\r\n", TestMessages.Slice(raw, s.Root.Children[1].BodyOffset, s.Root.Children[1].BodyLength));
        StructureInvariants.Check(raw, s);
    }

    [Fact]
    public void Outer_boundary_closes_inner_multipart_without_its_close_delimiter()
    {
        var raw = TestMessages.Crlf("Content-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\n\na\n--outer\n\nb\n--outer--\n");
        var s = MimeParser.Parse(raw);
        Assert.Equal(2, s.Root.Children.Count);
        Assert.Single(s.Root.Children[0].Children);
        Assert.True(s.Root.Children[0].Flags.HasFlag(MimePartFlags.MissingCloseDelimiter));
        StructureInvariants.Check(raw, s);
    }

    [Fact]
    public void Boundary_string_inside_base64_ends_the_part_best_effort()
    {
        var raw = TestMessages.Crlf("Content-Type: multipart/mixed; boundary=QUJD\n\n--QUJD\nContent-Transfer-Encoding: base64\n\nQUJD\n--QUJDREVG\nmore\n--QUJD--\n");
        var s = MimeParser.Parse(raw);
        // Like Dovecot, any line starting with "--" + boundary is a boundary.
        Assert.Equal(2, s.Root.Children.Count);
        StructureInvariants.Check(raw, s);
    }

    [Fact]
    public void Nul_bytes_bare_cr_and_8bit_headers_are_tolerated()
    {
        var raw = Encoding.Latin1.GetBytes("Subject: a\0b\rc \xe9\xff\r\nX-Bin: \x01\x02\r\n\r\nbody\0with\rcr\r\n");
        var s = MimeParser.Parse(raw);
        Assert.Equal(2, s.Root.Headers.Count);
        Assert.Contains("\0", s.Root.Headers[0].Value, StringComparison.Ordinal);
        StructureInvariants.Check(raw, s);
    }

    [Fact]
    public void Ten_megabyte_header_line_is_cut_not_fatal()
    {
        var big = new string('x', 10 * 1024 * 1024);
        var raw = Encoding.ASCII.GetBytes("Subject: " + big + "\r\nFrom: a@b.c\r\n\r\nbody\r\n");
        var s = MimeParser.Parse(raw);
        var subject = s.Root.GetHeader("Subject")!;
        Assert.True(subject.IsTruncated);
        Assert.Equal(MimeParserOptions.Default.MaxHeaderFieldLength, subject.RawValue.Length);
        Assert.Equal(big.Length + 11, subject.Length);
        Assert.Equal("a@b.c", s.Root.GetHeader("From")!.Value);
        Assert.Equal("body\r\n", TestMessages.Slice(raw, s.Root.BodyOffset, s.Root.BodyLength));
        Assert.True(s.Root.Flags.HasFlag(MimePartFlags.HeaderTruncated));
    }

    [Fact]
    public void Nesting_beyond_the_limit_degrades_to_text_plain()
    {
        var sb = new StringBuilder();
        const int depth = 150;
        for (var i = 0; i < depth; i++)
        {
            sb.Append($"Content-Type: multipart/mixed; boundary=b{i}x\n\n--b{i}x\n");
        }

        sb.Append("\ninnermost\n");
        var raw = TestMessages.Crlf(sb.ToString());
        var s = MimeParser.Parse(raw);
        var deepest = s.Root.Descendants().MaxBy(p => p.Depth)!;
        Assert.Equal(100, deepest.Depth);
        Assert.True(deepest.Flags.HasFlag(MimePartFlags.LimitExceeded));
        Assert.True(deepest.ContentType.Is("text", "plain"));
        StructureInvariants.Check(raw, s);
        Assert.Contains("innermost"u8.ToArray(), raw);
    }

    [Fact]
    public void Header_count_limit_degrades_to_text_plain()
    {
        var sb = new StringBuilder("Content-Type: multipart/mixed; boundary=b\n");
        for (var i = 0; i < 50; i++)
        {
            sb.Append($"X-H{i}: v\n");
        }

        sb.Append("\n--b\n\nx\n--b--\n");
        var raw = TestMessages.Crlf(sb.ToString());
        var s = MimeParser.Parse(raw, new MimeParserOptions { MaxHeaderCount = 10 });
        Assert.True(s.Root.Flags.HasFlag(MimePartFlags.LimitExceeded));
        Assert.Equal(MimePartKind.Leaf, s.Root.Kind);
        Assert.True(s.Root.ContentType.Is("text", "plain"));
        Assert.Equal(10, s.Root.Headers.Count);
        StructureInvariants.Check(raw, s);
    }

    [Fact]
    public void Part_count_limit_keeps_bytes_in_the_last_part()
    {
        var sb = new StringBuilder("Content-Type: multipart/mixed; boundary=b\n\n");
        for (var i = 0; i < 20; i++)
        {
            sb.Append($"--b\n\npart {i}\n");
        }

        sb.Append("--b--\n");
        var raw = TestMessages.Crlf(sb.ToString());
        var s = MimeParser.Parse(raw, new MimeParserOptions { MaxPartCount = 5 });
        Assert.Equal(4, s.Root.Children.Count);
        StructureInvariants.Check(raw, s);
    }

    [Fact]
    public void Chunked_input_gives_the_same_structure_as_whole_input()
    {
        foreach (var name in TestMessages.Names)
        {
            var raw = TestMessages.Load(name);
            var whole = MimeParser.Parse(raw).Serialize();
            foreach (var chunk in new[] { 1, 2, 3, 7, 64 })
            {
                var parser = new MimeParser();
                for (var i = 0; i < raw.Length; i += chunk)
                {
                    parser.Write(raw.AsSpan(i, Math.Min(chunk, raw.Length - i)));
                }

                Assert.Equal(whole, parser.Complete().Serialize());
            }
        }
    }

    [Fact]
    public async Task Pipe_reader_and_stream_parsing_agree()
    {
        var raw = TestMessages.Load("digest-and-escapes.eml");
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(raw);
        await pipe.Writer.CompleteAsync();
        var fromPipe = await MimeParser.ParseAsync(pipe.Reader);
        var fromStream = await MimeParser.ParseAsync(new MemoryStream(raw));
        Assert.Equal(MimeParser.Parse(raw).Serialize(), fromPipe.Serialize());
        Assert.Equal(fromPipe.Serialize(), fromStream.Serialize());
    }

    [Fact]
    public void Empty_input_is_an_empty_message()
    {
        var s = MimeParser.Parse(ReadOnlySpan<byte>.Empty);
        Assert.Equal(0, s.Length);
        Assert.Empty(s.Root.Headers);
        Assert.True(s.Root.ContentType.Is("text", "plain"));
    }

    [Fact]
    public void Multipart_digest_children_default_to_message_rfc822()
    {
        var s = TestMessages.Parse("digest-and-escapes.eml");
        var digest = s.Root.Children[1];
        Assert.True(digest.Children[0].ContentType.Is("message", "rfc822"));
        Assert.Equal("d1", digest.Children[0].Message!.GetDecodedValue("Subject"));
        Assert.True(digest.Children[1].ContentType.Is("text", "plain"));
    }
}
