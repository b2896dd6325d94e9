using System.Buffers;
using System.Globalization;
using System.Text;

namespace MailAppliance.Mime.Imap;

/// <summary>
/// Writes IMAP strings (RFC 3501 §4.3, RFC 9051 §4.3) the way Dovecot does: NIL for absent, a quoted string when
/// the bytes allow it, otherwise a literal <c>{n}\r\n…</c>. With UTF8=ACCEPT (RFC 6855) valid UTF-8 may be quoted.
/// </summary>
internal sealed class ImapStringWriter(bool utf8Accept)
{
    // Dovecot quotes strings needing a few escapes and sends a literal beyond that.
    private const int MaxEscapes = 4;

    private readonly ArrayBufferWriter<byte> _out = new(512);

    public byte[] ToArray() => _out.WrittenSpan.ToArray();

    public void Raw(string ascii)
    {
        var span = _out.GetSpan(ascii.Length);
        for (var i = 0; i < ascii.Length; i++)
        {
            span[i] = (byte)ascii[i];
        }

        _out.Advance(ascii.Length);
    }

    public void Nil() => Raw("NIL");

    /// <summary>An nstring from bytes: quoted unless CR, LF, NUL, 8-bit (without UTF8=ACCEPT) or many escapes.</summary>
    public void NString(ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull)
        {
            Nil();
            return;
        }

        var escapes = 0;
        var literal = false;
        foreach (var b in value)
        {
            if (b is (byte)'"' or (byte)'\\')
            {
                literal |= ++escapes > MaxEscapes;
            }
            else if (b is 0 or (byte)'\r' or (byte)'\n')
            {
                literal = true;
            }
            else if (b >= 0x80)
            {
                literal |= !utf8Accept;
            }
        }

        if (b8(value) && utf8Accept && !System.Text.Unicode.Utf8.IsValid(value))
        {
            literal = true;
        }

        if (literal)
        {
            Literal(value);
            return;
        }

        Quoted(value);

        static bool b8(ReadOnlySpan<byte> v) => v.IndexOfAnyInRange((byte)0x80, (byte)0xff) >= 0;
    }

    public void NString(string? latin1Value)
    {
        if (latin1Value is null)
        {
            Nil();
            return;
        }

        NString(Encoding.Latin1.GetBytes(latin1Value));
    }

    /// <summary>
    /// Dovecot's "string for humans" (subject, display names): CR, LF and TAB become spaces, runs of whitespace
    /// collapse, ends are trimmed, NUL becomes 0x80; anything changed or needing escapes is sent as a literal.
    /// </summary>
    public void HumanString(ReadOnlySpan<byte> value)
    {
        var modify = false;
        var lastSpace = true;
        foreach (var b in value)
        {
            switch (b)
            {
                case 0:
                    modify = true;
                    lastSpace = false;
                    break;
                case (byte)'\r' or (byte)'\n' or (byte)'\t':
                    modify = true;
                    lastSpace = true;
                    break;
                case (byte)' ':
                    modify |= lastSpace;
                    lastSpace = true;
                    break;
                case (byte)'"' or (byte)'\\':
                    modify = true;
                    lastSpace = false;
                    break;
                default:
                    modify |= b >= 0x80 && !utf8Accept;
                    lastSpace = false;
                    break;
            }
        }

        modify |= lastSpace && !value.IsEmpty;
        if (!modify)
        {
            Quoted(value);
            return;
        }

        var cleaned = new List<byte>(value.Length);
        var pendingSpace = false;
        foreach (var b in value)
        {
            if (b is (byte)'\r' or (byte)'\n' or (byte)'\t' or (byte)' ')
            {
                pendingSpace = cleaned.Count > 0;
                continue;
            }

            if (pendingSpace)
            {
                cleaned.Add((byte)' ');
                pendingSpace = false;
            }

            cleaned.Add(b == 0 ? (byte)0x80 : b);
        }

        if (cleaned.Count == 0)
        {
            Raw("\"\"");
            return;
        }

        var bytes = cleaned.ToArray();
        if (utf8Accept && System.Text.Unicode.Utf8.IsValid(bytes) && bytes.AsSpan().IndexOfAny("\"\\"u8) < 0)
        {
            Quoted(bytes);
            return;
        }

        Literal(bytes);
    }

    private void Quoted(ReadOnlySpan<byte> value)
    {
        var span = _out.GetSpan((value.Length * 2) + 2);
        var n = 0;
        span[n++] = (byte)'"';
        foreach (var b in value)
        {
            if (b is (byte)'"' or (byte)'\\')
            {
                span[n++] = (byte)'\\';
            }

            span[n++] = b;
        }

        span[n++] = (byte)'"';
        _out.Advance(n);
    }

    private void Literal(ReadOnlySpan<byte> value)
    {
        Raw("{" + value.Length.ToString(CultureInfo.InvariantCulture) + "}\r\n");
        _out.Write(value);
    }
}
