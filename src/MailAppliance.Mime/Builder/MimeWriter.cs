using System.Security.Cryptography;
using System.Text;

namespace MailAppliance.Mime.Builder;

/// <summary>Writes header fields and bodies with CRLF line ends; makes stable boundaries.</summary>
internal sealed class MimeWriter(Stream output, string boundarySeed, bool utf8Headers)
{
    public bool Utf8Headers { get; } = utf8Headers;

    /// <summary>A folded header field; the value is written as given (already encoded).</summary>
    public void Field(string name, string value) => Raw(HeaderEncoder.Fold(name, value));

    public void EndHeader() => Raw("\r\n");

    public void Line(string text) => Raw(text + "\r\n");

    public void Body(string encoded) => Raw(encoded);

    /// <summary>Writes verbatim bytes with bare LFs made CRLF (generated mail is CRLF everywhere).</summary>
    public void Body(byte[] raw)
    {
        using var crlf = new CrlfNormalizingStream(new MemoryStream(raw, writable: false));
        crlf.CopyTo(output);
    }

    public void Raw(string text) => output.Write(Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// A boundary that is the same for the same seed and part path (stable output for tests and caches), holds
    /// "=_" (which base64 and quoted-printable never produce) and is at most 70 characters (RFC 2046 §5.1.1).
    /// </summary>
    public string Boundary(string path)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(boundarySeed + "\0" + path));
        return "=_MA_" + Convert.ToHexString(hash, 0, 12).ToLowerInvariant() + "_" + path.TrimStart('.').Replace('.', '_');
    }

    /// <summary>
    /// A parameter: token or quoted string when ASCII; RFC 2231 §4 extended form (UTF-8, %-escapes) otherwise, so
    /// long or non-ASCII file names survive.
    /// </summary>
    public static string Parameter(string name, string value)
    {
        if (value.All(c => c is >= ' ' and <= '~') && value.Length <= 60 && !value.Contains("=?", StringComparison.Ordinal))
        {
            return value.Length > 0 && value.All(c => HeaderTokenizer.IsTokenChar(c, TokenKind.Mime))
                ? name + "=" + value
                : name + "=" + HeaderEncoder.Quote(value);
        }

        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            sb.Append(b < 0x80 && char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' ? c.ToString() : "%" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        // RFC 2231 §3: continuations keep each line short.
        var encoded = sb.ToString();
        if (encoded.Length <= 60)
        {
            return name + "*=utf-8''" + encoded;
        }

        var segments = new List<string>();
        var index = 0;
        for (var i = 0; i < encoded.Length; index++)
        {
            var take = Math.Min(60, encoded.Length - i);
            while (take < encoded.Length - i && take > 2 && (encoded[i + take - 1] == '%' || encoded[i + take - 2] == '%'))
            {
                take--; // never split a %XX escape
            }

            segments.Add($"{name}*{index}*={(index == 0 ? "utf-8''" : string.Empty)}{encoded.Substring(i, take)}");
            i += take;
        }

        return string.Join("; ", segments);
    }
}
