using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MailAppliance.Mime.Builder;

namespace MailAppliance.Mime.Tests.Builder;

public sealed class MessageBuilderTests
{
    private static readonly MailboxAddress Postmaster = new("Mail Delivery System", null, "postmaster", "example.net");

    [Fact]
    public void Builds_a_multipart_message_that_parses_back()
    {
        var pdf = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        var raw = new MessageBuilder()
            .From(new MailboxAddress("Jörg Müller", null, "joerg", "example.de"))
            .To(new MailboxAddress("Last, First", null, "first.last", "example.org"), new MailboxAddress(null, null, "john doe", "example.org"))
            .Subject("Grüße aus Köln – a subject long enough to need more than one encoded-word for sure, really ☃")
            .Date(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(1)))
            .MessageId("built-1@example.de")
            .Body(MimeEntity.Multipart("mixed", new[]
            {
                MimeEntity.Text("Hallo,\nüber 80 Zeichen: " + new string('x', 1200) + "\n.\nFrom here\n"),
                MimeEntity.Binary(pdf, "application", "pdf", "Rechnung März 2026 mit einem sehr langen Dateinamen der umgebrochen wird.pdf"),
            }))
            .ToArray();

        AssertWellFormed(raw);
        var s = MimeParser.Parse(raw);
        StructureInvariants.Check(raw, s);
        Assert.Equal("Grüße aus Köln – a subject long enough to need more than one encoded-word for sure, really ☃", s.Root.GetDecodedValue("Subject"));
        var from = AddressParser.ParseMailboxes(s.Root.GetHeader("From")!.Value)[0];
        Assert.Equal("Jörg Müller", from.DecodedDisplayName);
        var to = AddressParser.ParseMailboxes(s.Root.GetHeader("To")!.Value);
        Assert.Equal("Last, First", to[0].DisplayName);
        Assert.Equal("john doe", to[1].LocalPart);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(1)), DateParser.Parse(s.Root.GetHeader("Date")!.Value));
        Assert.Equal("built-1@example.de", MessageIds.Parse(s.Root.GetHeader("Message-ID")!.Value));
        Assert.Equal(2, s.Root.Children.Count);
        Assert.Equal("quoted-printable", s.Root.Children[0].ContentTransferEncoding);
        Assert.Equal("Hallo,\r\nüber 80 Zeichen: " + new string('x', 1200) + "\r\n.\r\nFrom here\r\n", s.Root.Children[0].ReadText(raw));
        var attachment = s.Root.Children[1];
        Assert.Equal("Rechnung März 2026 mit einem sehr langen Dateinamen der umgebrochen wird.pdf", attachment.FileName);
        using var file = new MemoryStream(raw);
        using var decoded = attachment.OpenDecodedBody(file);
        using var copy = new MemoryStream();
        decoded.CopyTo(copy);
        Assert.Equal(pdf, copy.ToArray());
    }

    [Fact]
    public void Output_is_stable_for_a_seed()
    {
        byte[] Build(string seed) => new MessageBuilder { BoundarySeed = seed }
            .Subject("x")
            .Body(MimeEntity.Multipart("alternative", new[] { MimeEntity.Text("a"), MimeEntity.Text("<p>a</p>", "html") }))
            .ToArray();
        Assert.Equal(Build("one"), Build("one"));
        Assert.NotEqual(Build("one"), Build("two"));
    }

    [Fact]
    public void Delivery_status_notification_has_the_rfc3464_shape()
    {
        var original = TestMessages.Load("simple-lf.eml");
        var raw = new MessageBuilder { BoundarySeed = "dsn-1" }
            .From(Postmaster)
            .To(new MailboxAddress(null, null, "alice", "example.org"))
            .Subject("Undelivered Mail Returned to Sender")
            .Header("Auto-Submitted", "auto-replied")
            .Body(DeliveryReport.Build("mail.example.net", "Your message could not be delivered.",
                new[] { new DeliveryStatusRecipient("bob@example.net", "failed", "5.1.1", "mx.example.net", "550 5.1.1 <bob@example.net>: user unknown") },
                originalHeader: null, originalMessage: original, new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero)))
            .ToArray();
        AssertWellFormed(raw);
        var s = MimeParser.Parse(raw);
        Assert.True(s.Root.ContentType.Is("multipart", "report"));
        Assert.Equal("delivery-status", s.Root.ContentType.Parameters.Get("report-type"));
        Assert.Equal(3, s.Root.Children.Count);
        Assert.True(s.Root.Children[1].ContentType.Is("message", "delivery-status"));
        Assert.Contains("Status: 5.1.1", s.Root.Children[1].ReadText(raw), StringComparison.Ordinal);
        var returned = s.Root.Children[2];
        Assert.Equal(MimePartKind.Message, returned.Kind);
        Assert.Equal("Hello there", returned.Message!.GetDecodedValue("Subject"));
    }

    [Fact]
    public void Auto_reply_threads_and_marks_itself()
    {
        var original = TestMessages.Parse("simple-crlf.eml");
        var raw = DeliveryReport.AutoReply(original.Root)
            .From(new MailboxAddress(null, null, "bob", "example.net"))
            .Body(MimeEntity.Text("I am away."))
            .ToArray();
        var s = MimeParser.Parse(raw);
        Assert.Equal("Auto: Hello there", s.Root.GetDecodedValue("Subject"));
        Assert.Equal("1234@example.org", MessageIds.Parse(s.Root.GetHeader("In-Reply-To")!.Value));
        Assert.Equal("auto-replied", s.Root.GetHeader("Auto-Submitted")!.Value);
        Assert.Equal("alice@example.org", AddressParser.ParseMailboxes(s.Root.GetHeader("To")!.Value)[0].AddrSpec);
    }

    [Fact]
    public void Utf8_headers_mode_writes_raw_utf8()
    {
        var raw = new MessageBuilder { Utf8Headers = true }.Subject("Grüße").Body(MimeEntity.Text("x")).ToArray();
        Assert.Contains("Subject: Grüße\r\n", Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
        Assert.Equal("Grüße", MimeParser.Parse(raw).Root.GetDecodedValue("Subject"));
    }

    [Fact]
    public void Build_then_parse_round_trips_random_content()
    {
        var text = ArbMap.Default.GeneratorFor<string>().Where(s => s is not null);
        var gen = Gen.Zip(Gen.Zip(text, text), ArbMap.Default.GeneratorFor<byte[]>());
        var runs = int.TryParse(Environment.GetEnvironmentVariable("MIME_PROPERTY_TESTS"), out var n) && n > 0 ? n : 200;
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(runs), Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var ((subject, body), data) = input;
            subject = Clean(subject).Replace('\n', ' '); // a header value is one logical line
            body = Clean(body);
            var raw = new MessageBuilder()
                .Subject(subject)
                .From(new MailboxAddress(subject, null, "a", "example.org"))
                .Body(MimeEntity.Multipart("mixed", new[] { MimeEntity.Text(body), MimeEntity.Binary(data, "application", "octet-stream", subject.Length == 0 ? null : subject) }))
                .ToArray();
            AssertWellFormed(raw);
            var s = MimeParser.Parse(raw);
            StructureInvariants.Check(raw, s);
            Assert.Equal(subject.Trim(' '), s.Root.GetDecodedValue("Subject"));
            Assert.Equal(subject.Length == 0 ? null : subject, AddressParser.ParseMailboxes(s.Root.GetHeader("From")!.Value)[0].DecodedDisplayName);
            Assert.Equal(BodyEncoder.NormalizeLineEnds(body), s.Root.Children[0].ReadText(raw));
            Assert.Equal(data, MessageBodies.Decode(raw.AsSpan((int)s.Root.Children[1].BodyOffset, (int)s.Root.Children[1].BodyLength), "base64"));
            if (subject.Length > 0)
            {
                Assert.Equal(subject, s.Root.Children[1].FileName);
            }
        }));

        // Unpaired surrogates cannot be encoded as UTF-8 and controls are not header text: keep the rest.
        static string Clean(string s) => new(s.Where(c => !char.IsSurrogate(c) && (c >= 0x20 || c is '\n' or '\t') && c != 0x7f).ToArray());
    }

    /// <summary>CRLF everywhere and no line over 998 octets (RFC 5322 §2.1.1, §2.3).</summary>
    private static void AssertWellFormed(byte[] raw)
    {
        var line = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == (byte)'\n')
            {
                Assert.True(i > 0 && raw[i - 1] == (byte)'\r', $"bare LF at {i}");
                line = 0;
                continue;
            }

            Assert.True(++line <= 999, $"line too long at {i}");
        }
    }
}

/// <summary>Edge cases of generated reports.</summary>
public sealed class DeliveryReportEdgeTests
{
    [Fact]
    public void Original_with_overlong_lines_is_returned_as_its_header_only()
    {
        var original = TestMessages.Load("long-lines.eml");
        var raw = new MessageBuilder()
            .Body(DeliveryReport.Build("mx.example.net", "failed", new[] { new DeliveryStatusRecipient("a@b.c", "failed", "5.0.0") }, null, original))
            .ToArray();
        var s = MimeParser.Parse(raw);
        Assert.True(s.Root.Children[2].ContentType.Is("text", "rfc822-headers"));
        var lines = System.Text.Encoding.Latin1.GetString(raw).Split("\r\n");
        Assert.All(lines, l => Assert.True(l.Length <= 998, $"line of {l.Length}"));
        Assert.Contains("X-Long: yyyy", s.Root.Children[2].ReadText(raw), StringComparison.Ordinal);
    }
}

/// <summary>Header encoding corner cases found by the round-trip property.</summary>
public sealed class HeaderEncoderTests
{
    [Theory]
    [InlineData("é  é")]
    [InlineData("é  x")]
    [InlineData("x  é")]
    [InlineData("a =?utf-8?q?not_a_word?= b")]
    [InlineData("plain ascii")]
    [InlineData("tab\tinside")]
    [InlineData("ünïcödé")]
    public void Unstructured_values_decode_to_what_was_encoded(string value)
    {
        var raw = System.Text.Encoding.UTF8.GetBytes(HeaderEncoder.Fold("Subject", HeaderEncoder.Unstructured(value)) + "\r\n");
        Assert.Equal(value, MimeParser.Parse(raw).Root.GetDecodedValue("Subject"));
    }

    [Theory]
    [InlineData("=?utf-8?q?x?=")]
    [InlineData("Last, First")]
    [InlineData("Jörg \"the\" Müller")]
    public void Display_names_round_trip(string name)
    {
        var raw = System.Text.Encoding.UTF8.GetBytes("From: " + HeaderEncoder.Mailbox(new MailboxAddress(name, null, "a", "b.c")) + "\r\n\r\n");
        var parsed = AddressParser.ParseMailboxes(MimeParser.Parse(raw).Root.GetHeader("From")!.Value)[0];
        Assert.Equal(name, parsed.DecodedDisplayName);
    }
}
