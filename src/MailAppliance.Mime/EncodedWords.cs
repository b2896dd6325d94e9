using System.Buffers.Text;
using System.Text;

namespace MailAppliance.Mime;

/// <summary>RFC 2047 encoded-words: decoding for display/search (malformed words stay as written) and encoding.</summary>
public static class EncodedWords
{
    /// <summary>
    /// Decodes every well-formed encoded-word in <paramref name="text"/>. RFC 2047 §6.2: whitespace between two
    /// adjacent encoded-words is dropped; adjacent words in the same charset are joined at the byte level so a
    /// multi-byte character split across words survives. Words with unknown charsets or bad encodings stay as is.
    /// </summary>
    public static string DecodeUnstructured(string text)
    {
        if (!text.Contains("=?", StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        var pending = new List<byte>();
        Encoding? pendingEncoding = null;
        var i = 0;
        while (i < text.Length)
        {
            if (TryReadWord(text, i, out var end, out var encoding, out var bytes))
            {
                if (pendingEncoding is not null && pendingEncoding.CodePage != encoding.CodePage)
                {
                    sb.Append(pendingEncoding.GetString(pending.ToArray()));
                    pending.Clear();
                }

                pendingEncoding = encoding;
                pending.AddRange(bytes);
                i = end;

                // Whitespace before another encoded-word is dropped; otherwise it is kept.
                var j = i;
                while (j < text.Length && text[j] is ' ' or '\t' or '\r' or '\n')
                {
                    j++;
                }

                if (j > i && TryReadWord(text, j, out _, out _, out _))
                {
                    i = j;
                }

                continue;
            }

            if (pendingEncoding is not null)
            {
                sb.Append(pendingEncoding.GetString(pending.ToArray()));
                pending.Clear();
                pendingEncoding = null;
            }

            sb.Append(text[i]);
            i++;
        }

        if (pendingEncoding is not null)
        {
            sb.Append(pendingEncoding.GetString(pending.ToArray()));
        }

        return sb.ToString();
    }

    /// <summary>RFC 2047 §2: =?charset[*lang]?B|Q?text?= with no whitespace inside.</summary>
    private static bool TryReadWord(string text, int start, out int end, out Encoding encoding, out byte[] bytes)
    {
        end = start;
        encoding = Encoding.ASCII;
        bytes = Array.Empty<byte>();
        if (start + 8 > text.Length || text[start] != '=' || text[start + 1] != '?')
        {
            return false;
        }

        var q1 = text.IndexOf('?', start + 2);
        if (q1 < 0 || q1 + 2 >= text.Length || text[q1 + 2] != '?')
        {
            return false;
        }

        var close = text.IndexOf("?=", q1 + 3, StringComparison.Ordinal);
        if (close < 0)
        {
            return false;
        }

        var charset = text.AsSpan(start + 2, q1 - start - 2);
        var payload = text.AsSpan(q1 + 3, close - q1 - 3);
        if (charset.IsEmpty || charset.ContainsAny(' ', '\t') || payload.ContainsAny(' ', '\t'))
        {
            return false;
        }

        // RFC 2231 §5: charset*language.
        var star = charset.IndexOf('*');
        var enc = Charsets.Find((star >= 0 ? charset[..star] : charset).ToString());
        if (enc is null)
        {
            return false;
        }

        var mode = char.ToUpperInvariant(text[q1 + 1]);
        byte[]? decoded = mode switch
        {
            'B' => DecodeB(payload),
            'Q' => DecodeQ(payload),
            _ => null,
        };
        if (decoded is null)
        {
            return false;
        }

        end = close + 2;
        encoding = enc;
        bytes = decoded;
        return true;
    }

    private static byte[]? DecodeB(ReadOnlySpan<char> payload)
    {
        // Tolerate missing padding, a frequent defect.
        var padded = payload.ToString();
        if (padded.Length % 4 != 0)
        {
            padded = padded.TrimEnd('=');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
        }

        var input = Encoding.ASCII.GetBytes(padded);
        var output = new byte[Base64.GetMaxDecodedFromUtf8Length(input.Length)];
        var status = Base64.DecodeFromUtf8(input, output, out _, out var written);
        return status == System.Buffers.OperationStatus.Done ? output.AsSpan(0, written).ToArray() : null;
    }

    private static byte[] DecodeQ(ReadOnlySpan<char> payload)
    {
        // RFC 2047 §4.2: "_" is space, =XX is a byte.
        var bytes = new List<byte>(payload.Length);
        for (var i = 0; i < payload.Length; i++)
        {
            var c = payload[i];
            if (c == '_')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '=' && i + 2 < payload.Length && Uri.IsHexDigit(payload[i + 1]) && Uri.IsHexDigit(payload[i + 2]))
            {
                bytes.Add((byte)((Uri.FromHex(payload[i + 1]) << 4) | Uri.FromHex(payload[i + 2])));
                i += 2;
            }
            else
            {
                bytes.Add(c < 0x80 ? (byte)c : (byte)'?');
            }
        }

        return bytes.ToArray();
    }
}
