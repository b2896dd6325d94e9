using System.Text;

namespace MailAppliance.Mime;

/// <summary>
/// Maps MIME charset names (RFC 2978) to .NET encodings: the built-in ones plus every code page of
/// <see cref="CodePagesEncodingProvider"/>, asked directly so no process-wide provider registration is needed.
/// </summary>
public static class Charsets
{
    /// <summary>Returns the encoding for a MIME charset name, or null when .NET cannot decode it.</summary>
    public static Encoding? Find(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var n = name.Trim().Trim('"').ToLowerInvariant();
        switch (n)
        {
            case "utf-8" or "utf8" or "unicode-1-1-utf-8":
                return Encoding.UTF8;
            case "us-ascii" or "ascii" or "ansi_x3.4-1968" or "iso646-us":
                return Encoding.ASCII;
            case "iso-8859-1" or "latin1" or "iso_8859-1" or "l1":
                return Encoding.Latin1;
            case "utf-16" or "utf-16le":
                return Encoding.Unicode;
            case "utf-16be":
                return Encoding.BigEndianUnicode;
            case "utf-32" or "utf-32le":
                return Encoding.UTF32;
        }

        // Common mislabels seen in real mail.
        n = n switch
        {
            "ks_c_5601-1987" or "ks_c_5601" => "euc-kr",
            "x-sjis" or "sjis" => "shift_jis",
            "gb2312-80" or "x-gbk" => "gbk",
            _ => n,
        };

        return CodePagesEncodingProvider.Instance.GetEncoding(n);
    }

    /// <summary>
    /// Decodes bytes declared in <paramref name="charset"/>. Unknown or absent charsets and us-ascii text holding
    /// 8-bit bytes fall back to UTF-8 when valid, else windows-1252, so text stays searchable.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string? charset)
    {
        var enc = Find(charset);
        if (enc is null || enc.CodePage == Encoding.ASCII.CodePage)
        {
            return DecodeUnlabelled(bytes);
        }

        return enc.GetString(bytes);
    }

    /// <summary>UTF-8 when valid (RFC 6532), else windows-1252 (a superset of Latin-1 for printable text).</summary>
    public static string DecodeUnlabelled(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return Encoding.UTF8.GetString(bytes);
        }

        return (CodePagesEncodingProvider.Instance.GetEncoding(1252) ?? Encoding.Latin1).GetString(bytes);
    }
}
