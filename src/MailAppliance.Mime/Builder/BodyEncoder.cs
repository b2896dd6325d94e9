using System.Text;

namespace MailAppliance.Mime.Builder;

/// <summary>Content-Transfer-Encodings for generated bodies (RFC 2045 §6.7, §6.8), always with CRLF line ends.</summary>
public static class BodyEncoder
{
    /// <summary>Base64 in lines of 76 characters joined by CRLF (RFC 2045 §6.8); the writer adds the final break.</summary>
    public static string Base64(ReadOnlySpan<byte> data)
    {
        var b64 = Convert.ToBase64String(data);
        var sb = new StringBuilder(b64.Length + (b64.Length / 76 * 2) + 2);
        for (var i = 0; i < b64.Length; i += 76)
        {
            if (i > 0)
            {
                sb.Append("\r\n");
            }

            sb.Append(b64, i, Math.Min(76, b64.Length - i));
        }

        return sb.ToString();
    }

    /// <summary>
    /// Quoted-printable (RFC 2045 §6.7) of text whose line breaks are hard breaks: lines at most 76 characters,
    /// "=" and non-printables escaped, trailing whitespace escaped, "." and "From " at line start escaped so the
    /// body survives SMTP and mbox. No final line break is added: the writer ends every body with one (RFC 2046
    /// §5.1.1 gives it to the boundary), so text ending in a line break keeps it.
    /// </summary>
    public static string QuotedPrintable(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder(data.Length * 3 / 2);
        var lineLength = 0;
        for (var i = 0; i < data.Length; i++)
        {
            var b = data[i];
            if (b == (byte)'\r' && i + 1 < data.Length && data[i + 1] == (byte)'\n')
            {
                sb.Append("\r\n");
                lineLength = 0;
                i++;
                continue;
            }

            if (b == (byte)'\n')
            {
                sb.Append("\r\n");
                lineLength = 0;
                continue;
            }

            var atLineEnd = i + 1 == data.Length || data[i + 1] == (byte)'\n' || (data[i + 1] == (byte)'\r' && i + 2 < data.Length && data[i + 2] == (byte)'\n');
            var literal = b is >= 33 and <= 126 && b != (byte)'='
                || (b is (byte)' ' or (byte)'\t' && !atLineEnd);
            if (lineLength == 0 && (b == (byte)'.' || (b == (byte)'F' && data[i..].StartsWith("From "u8))))
            {
                literal = false;
            }

            var token = literal ? ((char)b).ToString() : "=" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
            if (lineLength + token.Length > 75)
            {
                sb.Append("=\r\n"); // soft line break
                lineLength = 0;
            }

            sb.Append(token);
            lineLength += token.Length;
        }

        return sb.ToString();
    }

    /// <summary>Text with every line break made CRLF.</summary>
    public static string NormalizeLineEnds(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\r", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
}
