using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using MailAppliance.Imap.Protocol;

namespace MailAppliance.Imap.Tests.Protocol;

public class ImapResponseWriterTests
{
    private static async Task<string> Written(Func<ImapResponseWriter, Task> write, bool utf8 = false)
    {
        // Never pause the writer: the test reads only after everything is written.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0));
        var writer = new ImapResponseWriter(pipe.Writer) { Utf8 = utf8 };
        await write(writer);
        await writer.FlushAsync(CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        var read = await pipe.Reader.ReadAsync();
        var text = Encoding.UTF8.GetString(read.Buffer.ToArray());
        pipe.Reader.AdvanceTo(read.Buffer.End);
        return text;
    }

    private static Task<string> Written(Action<ImapResponseWriter> write, bool utf8 = false) =>
        Written(w =>
        {
            write(w);
            return Task.CompletedTask;
        }, utf8);

    [Fact]
    public async Task Plain_strings_are_quoted_with_escapes()
    {
        Assert.Equal("\"a \\\"b\\\" \\\\c\"", await Written(w => w.String("a \"b\" \\c")));
        Assert.Equal("\"\"", await Written(w => w.String("")));
    }

    [Fact]
    public async Task Line_breaks_and_eight_bit_text_become_literals()
    {
        Assert.Equal("{3}\r\na\r\n", await Written(w => w.String("a\r\n")));
        Assert.Equal("{2}\r\nü", await Written(w => w.String("ü")));
        Assert.Equal("\"ü\"", await Written(w => w.String("ü"), utf8: true));
        Assert.Equal("{1001}\r\n" + new string('x', 1001), await Written(w => w.String(new string('x', 1001))));
    }

    [Fact]
    public async Task Nstring_and_astring()
    {
        Assert.Equal("NIL", await Written(w => w.NString(null)));
        Assert.Equal("\"NIL\"", await Written(w => w.NString("NIL")));
        Assert.Equal("INBOX", await Written(w => w.AString("INBOX")));
        Assert.Equal("\"two words\"", await Written(w => w.AString("two words")));
        Assert.Equal("\"a]b\"", await Written(w => w.AString("a]b")));
        Assert.Equal("\"\"", await Written(w => w.AString("")));
    }

    [Fact]
    public async Task Raw_number_space_crlf()
    {
        Assert.Equal("* 12 EXISTS\r\n", await Written(w => w.Raw("*").Space().Number(12).Raw(" EXISTS").Crlf()));
    }

    [Fact]
    public async Task Literals_announce_their_length_and_binary_uses_the_tilde()
    {
        Assert.Equal("{5}\r\nhello", await Written(w => w.LiteralAsync(new MemoryStream("hello"u8.ToArray()), 5, binary: false, CancellationToken.None)));
        Assert.Equal("~{2}\r\n\0\u0001", await Written(w => w.LiteralAsync(new MemoryStream([0, 1]), 2, binary: true, CancellationToken.None)));
        Assert.Equal("{3}\r\nhel", await Written(w => w.LiteralAsync(new MemoryStream("hello"u8.ToArray()), 3, binary: false, CancellationToken.None)));
    }

    [Fact]
    public async Task A_shrunken_source_is_padded_to_the_announced_length()
    {
        Assert.Equal("{4}\r\nab  ", await Written(w => w.LiteralAsync(new MemoryStream("ab"u8.ToArray()), 4, binary: false, CancellationToken.None)));
    }

    [Fact]
    public async Task Large_literals_are_written_whole()
    {
        var content = Enumerable.Range(0, 200_000).Select(i => (byte)('a' + (i % 26))).ToArray();
        var text = await Written(w => w.LiteralAsync(new MemoryStream(content), content.Length, binary: false, CancellationToken.None));
        Assert.Equal("{200000}\r\n" + Encoding.ASCII.GetString(content), text);
    }

    [Theory]
    [InlineData("2026-01-05T03:04:05+00:00")]
    [InlineData("1999-12-31T23:59:59-08:00")]
    [InlineData("2026-11-22T00:00:00+05:30")]
    public async Task Dates_and_numbers_are_written_as_the_string_forms_are(string date)
    {
        var value = DateTimeOffset.Parse(date, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("\"" + SearchParser.FormatDateTime(value) + "\"", await Written(w => w.QuotedDateTime(value)));
        Assert.Equal("0 42 9223372036854775807 -1", await Written(w => w.Number(0).Space().Number(42).Space().Number(long.MaxValue).Space().Number(-1)));
    }

    [Fact]
    public async Task A_line_is_open_from_its_first_byte_to_its_line_end_literals_included()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0));
        var writer = new ImapResponseWriter(pipe.Writer);
        Assert.False(writer.LineOpen);
        writer.Raw("* 1 FETCH (UID ").Number(7);
        Assert.True(writer.LineOpen);
        writer.Raw(" BODY[] ");
        await writer.LiteralAsync(new MemoryStream("a\r\nb\r\n"u8.ToArray()), 6, binary: false, CancellationToken.None);
        Assert.True(writer.LineOpen);
        writer.Raw(")").Crlf();
        Assert.False(writer.LineOpen);
        writer.Space();
        Assert.True(writer.LineOpen);
    }
}
