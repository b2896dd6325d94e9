using System.Text;

namespace MailAppliance.Mime;

/// <summary>Byte ↔ text helpers shared by the header parsers.</summary>
internal static class HeaderText
{
    /// <summary>
    /// RFC 6532 §3.2: header values may be UTF-8. Bytes that are not valid UTF-8 (legacy 8-bit headers) are read as
    /// Latin-1 so that every byte maps to one char and nothing is lost.
    /// </summary>
    public static string DecodeBytes(ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty)
        {
            return string.Empty;
        }

        if (System.Text.Ascii.IsValid(raw))
        {
            return Encoding.ASCII.GetString(raw);
        }

        return System.Text.Unicode.Utf8.IsValid(raw) ? Encoding.UTF8.GetString(raw) : Encoding.Latin1.GetString(raw);
    }
}
