using System.Text;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// A reversible, collision-free mapping of arbitrary strings (domains, local parts: RFC 5321 allows '/', "..",
/// a leading '.', and quoted strings with spaces) to one safe directory name. Kept verbatim: ASCII letters and
/// digits, <c>- _ + =</c>, and '.' except as the first character. Everything else, including '%' itself, a leading
/// '.', '/', '\', spaces, control and non-ASCII characters, is written as <c>%XX</c> per UTF-8 byte (upper-case hex).
/// The result is never empty, <c>.</c> or <c>..</c>, never contains '/', and never starts with '.'. Decoding
/// accepts only the canonical encoding, so the mapping is a bijection between strings and segments.
/// </summary>
public static class PathSegmentCodec
{
    // Linux NAME_MAX.
    private const int MaxSegmentBytes = 255;

    public static MaildirResult<string> Encode(string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return MaildirResult<string>.Fail(MaildirFailureKind.InvalidName, "empty path segment");
        }

        byte[] bytes;
        try
        {
            bytes = new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(value);
        }
        catch (EncoderFallbackException)
        {
            return MaildirResult<string>.Fail(MaildirFailureKind.InvalidName, "path segment is not valid Unicode (lone surrogate)");
        }

        var builder = new StringBuilder(bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (IsVerbatim(b, i == 0))
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        if (builder.Length > MaxSegmentBytes)
        {
            return MaildirResult<string>.Fail(MaildirFailureKind.InvalidName, $"encoded path segment longer than {MaxSegmentBytes} bytes");
        }

        return MaildirResult<string>.Ok(builder.ToString());
    }

    public static MaildirResult<string> Decode(string segment)
    {
        if (string.IsNullOrEmpty(segment))
        {
            return Invalid(segment);
        }

        var bytes = new List<byte>(segment.Length);
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (c == '%')
            {
                if (i + 2 >= segment.Length || !IsUpperHex(segment[i + 1]) || !IsUpperHex(segment[i + 2]))
                {
                    return Invalid(segment);
                }

                var b = Convert.ToByte(segment.Substring(i + 1, 2), 16);
                if (IsVerbatim(b, bytes.Count == 0))
                {
                    return Invalid(segment);
                }

                bytes.Add(b);
                i += 2;
            }
            else if (c < 0x80 && IsVerbatim((byte)c, bytes.Count == 0))
            {
                bytes.Add((byte)c);
            }
            else
            {
                return Invalid(segment);
            }
        }

        try
        {
            return MaildirResult<string>.Ok(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            return Invalid(segment);
        }
    }

    private static bool IsVerbatim(byte b, bool first) =>
        b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'-' or (byte)'_' or (byte)'+' or (byte)'='
        || (b == (byte)'.' && !first);

    private static bool IsUpperHex(char c) => c is (>= '0' and <= '9') or (>= 'A' and <= 'F');

    private static MaildirResult<string> Invalid(string segment) =>
        MaildirResult<string>.Fail(MaildirFailureKind.InvalidName, $"not a canonical encoded path segment: '{segment}'");
}
