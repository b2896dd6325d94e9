using System.Text;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// The modified UTF-7 encoding of IMAP mailbox names (RFC 3501 §5.1.3), which Dovecot also uses for folder
/// directory names and subscriptions on disk. Decoding is strict so that every name has exactly one encoding
/// (a bijection between .NET strings and encoded names): non-canonical forms are refused.
/// </summary>
public static class ModifiedUtf7
{
    // RFC 3501 §5.1.3: modified BASE64 of RFC 2045 with ',' instead of '/', no padding.
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

    /// <summary>Encodes a name. Lone surrogates cannot be encoded (they are not Unicode text) and are refused.</summary>
    public static MaildirResult<string> Encode(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];

            // RFC 3501 §5.1.3: printable US-ASCII except '&' represents itself; '&' is "&-".
            if (c is >= '\x20' and <= '\x7e')
            {
                builder.Append(c == '&' ? "&-" : c.ToString());
                i++;
                continue;
            }

            var start = i;
            while (i < text.Length && text[i] is < '\x20' or > '\x7e')
            {
                if (char.IsHighSurrogate(text[i]) && (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])))
                {
                    return MaildirResult<string>.Fail(MaildirFailureKind.InvalidName, "name contains a lone surrogate");
                }

                if (char.IsLowSurrogate(text[i]) && (i == start || !char.IsHighSurrogate(text[i - 1])))
                {
                    return MaildirResult<string>.Fail(MaildirFailureKind.InvalidName, "name contains a lone surrogate");
                }

                i++;
            }

            builder.Append('&');
            AppendBase64(builder, text.AsSpan(start, i - start));
            builder.Append('-');
        }

        return MaildirResult<string>.Ok(builder.ToString());
    }

    /// <summary>
    /// Decodes a name. Refused: raw characters outside printable US-ASCII, a '&amp;' without its closing '-',
    /// characters outside the modified BASE64 alphabet, non-zero leftover bits, an odd number of UTF-16 bytes,
    /// invalid surrogate pairs, encoded printable ASCII, and two adjacent encoded runs (all non-canonical per §5.1.3).
    /// </summary>
    public static MaildirResult<string> Decode(string encoded)
    {
        var builder = new StringBuilder(encoded.Length);
        var i = 0;
        var previousWasEncodedRun = false;
        while (i < encoded.Length)
        {
            var c = encoded[i];
            if (c is < '\x20' or > '\x7e')
            {
                return Invalid("raw character outside printable US-ASCII");
            }

            if (c != '&')
            {
                builder.Append(c);
                i++;
                previousWasEncodedRun = false;
                continue;
            }

            var end = encoded.IndexOf('-', i + 1);
            if (end < 0)
            {
                return Invalid("'&' without a closing '-'");
            }

            if (end == i + 1)
            {
                builder.Append('&');
                i = end + 1;
                previousWasEncodedRun = false;
                continue;
            }

            if (previousWasEncodedRun)
            {
                return Invalid("adjacent encoded runs");
            }

            var decoded = DecodeRun(encoded.AsSpan(i + 1, end - i - 1));
            if (decoded is null)
            {
                return Invalid("invalid modified BASE64 run");
            }

            builder.Append(decoded);
            i = end + 1;
            previousWasEncodedRun = true;
        }

        return MaildirResult<string>.Ok(builder.ToString());
    }

    private static MaildirResult<string> Invalid(string reason) =>
        MaildirResult<string>.Fail(MaildirFailureKind.InvalidName, "invalid modified UTF-7: " + reason);

    private static void AppendBase64(StringBuilder builder, ReadOnlySpan<char> chars)
    {
        var bits = 0;
        var bitCount = 0;
        foreach (var ch in chars)
        {
            bits = (bits << 16) | ch;
            bitCount += 16;
            while (bitCount >= 6)
            {
                bitCount -= 6;
                builder.Append(Alphabet[(bits >> bitCount) & 0x3F]);
            }

            bits &= (1 << bitCount) - 1;
        }

        if (bitCount > 0)
        {
            builder.Append(Alphabet[(bits << (6 - bitCount)) & 0x3F]);
        }
    }

    private static string? DecodeRun(ReadOnlySpan<char> run)
    {
        var result = new StringBuilder(run.Length * 6 / 16);
        var bits = 0;
        var bitCount = 0;
        foreach (var ch in run)
        {
            var value = Alphabet.IndexOf(ch, StringComparison.Ordinal);
            if (value < 0)
            {
                return null;
            }

            bits = (bits << 6) | value;
            bitCount += 6;
            if (bitCount >= 16)
            {
                bitCount -= 16;
                var unit = (char)((bits >> bitCount) & 0xFFFF);

                // Printable ASCII must be written as itself, never encoded.
                if (unit is >= '\x20' and <= '\x7e')
                {
                    return null;
                }

                result.Append(unit);
                bits &= (1 << bitCount) - 1;
            }
        }

        // Leftover bits must be fewer than 6 and zero (no padding, canonical form).
        if (bitCount >= 6 || bits != 0 || result.Length == 0)
        {
            return null;
        }

        var text = result.ToString();
        for (var k = 0; k < text.Length; k++)
        {
            if (char.IsHighSurrogate(text[k]))
            {
                if (k + 1 >= text.Length || !char.IsLowSurrogate(text[k + 1]))
                {
                    return null;
                }

                k++;
            }
            else if (char.IsLowSurrogate(text[k]))
            {
                return null;
            }
        }

        return text;
    }
}
