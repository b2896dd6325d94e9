using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;

namespace MailAppliance.Imap.Protocol;

/// <summary>
/// Writes IMAP responses into the connection's pipe: atoms, numbers, strings (quoted when they can be, literals
/// otherwise), and literals streamed from files in chunks so a large FETCH never sits in memory.
/// </summary>
public sealed class ImapResponseWriter
{
    private const int FlushThreshold = 64 * 1024;

    private readonly PipeWriter _output;
    private long _unflushed;
    private bool _lineOpen;

    public ImapResponseWriter(PipeWriter output) => _output = output;

    /// <summary>
    /// Whether a response line has begun and not ended: a failure now cannot be answered with a tagged reply (it would
    /// land inside the line, or inside a literal whose length is announced), so the session must end instead.
    /// </summary>
    public bool LineOpen => _lineOpen;

    /// <summary>Whether strings may carry UTF-8 as quoted strings (RFC 6855 UTF8=ACCEPT).</summary>
    public bool Utf8 { get; set; }

    public ImapResponseWriter Raw(string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var span = _output.GetSpan(max);
        var written = Encoding.UTF8.GetBytes(text, span);
        _output.Advance(written);
        _unflushed += written;
        _lineOpen = true;
        return this;
    }

    public ImapResponseWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _unflushed += bytes.Length;
        _lineOpen = true;
        return this;
    }

    public ImapResponseWriter Number(long value)
    {
        var span = _output.GetSpan(20);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        _output.Advance(written);
        _unflushed += written;
        _lineOpen = true;
        return this;
    }

    /// <summary>An RFC 9051 date-time in UTC, quoted (<c>"05-Dec-2026 18:26:23 +0000"</c>), formatted without allocating.</summary>
    public ImapResponseWriter QuotedDateTime(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        var span = _output.GetSpan(28);
        span[0] = (byte)'"';
        TwoDigits(span[1..], utc.Day);
        span[3] = (byte)'-';
        "JanFebMarAprMayJunJulAugSepOctNovDec"u8.Slice((utc.Month - 1) * 3, 3).CopyTo(span[4..]);
        span[7] = (byte)'-';
        utc.Year.TryFormat(span[8..12], out _, "0000", CultureInfo.InvariantCulture);
        span[12] = (byte)' ';
        TwoDigits(span[13..], utc.Hour);
        span[15] = (byte)':';
        TwoDigits(span[16..], utc.Minute);
        span[18] = (byte)':';
        TwoDigits(span[19..], utc.Second);
        " +0000\""u8.CopyTo(span[21..]);
        _output.Advance(28);
        _unflushed += 28;
        _lineOpen = true;
        return this;

        static void TwoDigits(Span<byte> at, int value)
        {
            at[0] = (byte)('0' + (value / 10));
            at[1] = (byte)('0' + (value % 10));
        }
    }

    public ImapResponseWriter Space() => Bytes(" "u8);

    public ImapResponseWriter Crlf()
    {
        Bytes("\r\n"u8);
        _lineOpen = false;
        return this;
    }

    /// <summary>A string: quoted when it is short and plain, a literal otherwise (RFC 9051 §4.3).</summary>
    public ImapResponseWriter String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return String(bytes);
    }

    public ImapResponseWriter String(ReadOnlySpan<byte> bytes)
    {
        if (CanQuote(bytes))
        {
            Bytes("\""u8);
            foreach (var b in bytes)
            {
                if (b is (byte)'"' or (byte)'\\')
                {
                    Bytes("\\"u8);
                }

                Bytes([b]);
            }

            return Bytes("\""u8);
        }

        Raw("{" + bytes.Length.ToString(CultureInfo.InvariantCulture) + "}\r\n");
        return Bytes(bytes);
    }

    public ImapResponseWriter NString(string? value) => value is null ? Raw("NIL") : String(value);

    /// <summary>An astring: an atom when it is one, else a string.</summary>
    public ImapResponseWriter AString(string value)
    {
        if (value.Length > 0 && value.All(IsAtomChar))
        {
            return Raw(value);
        }

        return String(value);
    }

    /// <summary>A literal of exactly <paramref name="length"/> bytes copied from <paramref name="content"/>.</summary>
    public async Task LiteralAsync(Stream content, long length, bool binary, CancellationToken cancellationToken)
    {
        Raw((binary ? "~{" : "{") + length.ToString(CultureInfo.InvariantCulture) + "}\r\n");
        var remaining = length;
        while (remaining > 0)
        {
            var memory = _output.GetMemory((int)Math.Min(remaining, 64 * 1024));
            var want = (int)Math.Min(remaining, memory.Length);
            var read = await content.ReadAsync(memory[..want], cancellationToken);
            if (read == 0)
            {
                // The file shrank under us (it cannot, unless something outside the store changed it): pad, since
                // the announced length must be honoured.
                memory.Span[..want].Fill((byte)' ');
                read = want;
            }

            _output.Advance(read);
            remaining -= read;
            _unflushed += read;
            await FlushIfLargeAsync(cancellationToken);
        }
    }

    /// <summary>Flushes when enough is buffered, so long responses go out as they are made.</summary>
    public async ValueTask FlushIfLargeAsync(CancellationToken cancellationToken)
    {
        if (_unflushed >= FlushThreshold)
        {
            await FlushAsync(cancellationToken);
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        _unflushed = 0;
        await _output.FlushAsync(cancellationToken);
    }

    private bool CanQuote(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 1000)
        {
            return false;
        }

        foreach (var b in bytes)
        {
            if (b is 0 or (byte)'\r' or (byte)'\n' || (b >= 0x80 && !Utf8))
            {
                return false;
            }
        }

        return true;
    }

    // RFC 9051 §9 ATOM-CHAR: no atom-specials ( ) { SP CTL % * " \ ].
    private static bool IsAtomChar(char c) =>
        c > ' ' && c < 0x7f && c is not ('(' or ')' or '{' or '%' or '*' or '"' or '\\' or ']');
}
