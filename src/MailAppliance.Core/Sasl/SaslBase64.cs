
namespace MailAppliance.Core.Sasl;

/// <summary>
/// Strict base64 for SASL responses: the RFC 4648 §4 alphabet, padding required, no white space, and zero pad bits
/// (a non-canonical encoding is refused rather than guessed at). Also the "*" cancel and the "=" empty response.
/// </summary>
public static class SaslBase64
{
    /// <summary>RFC 4954 §4 (and RFC 3501 §6.2.2, RFC 5034 §4): a response of "*" cancels the exchange.</summary>
    public const string Cancel = "*";

    /// <summary>RFC 4954 §4: an initial response of "=" is an empty response (zero octets).</summary>
    public const string EmptyInitialResponse = "=";

    /// <summary>The most base64 characters that can encode <paramref name="maxOctets"/> octets.</summary>
    public static int MaxEncodedLength(int maxOctets) => checked(((maxOctets + 2) / 3) * 4);

    /// <summary>
    /// Decodes a client response. The length is checked before anything is decoded. "*" gives
    /// <see cref="SaslError.Cancelled"/>; an empty string decodes to zero octets.
    /// </summary>
    public static bool TryDecode(string response, int maxOctets, out byte[] octets, out SaslError error)
    {
        ArgumentNullException.ThrowIfNull(response);
        octets = [];
        error = default;
        if (response == Cancel)
        {
            error = SaslError.Cancelled;
            return false;
        }

        if (response.Length > MaxEncodedLength(maxOctets))
        {
            error = SaslError.TooLong;
            return false;
        }

        if (!IsCanonical(response))
        {
            error = SaslError.InvalidBase64;
            return false;
        }

        var buffer = new byte[response.Length / 4 * 3];
        if (!Convert.TryFromBase64String(response, buffer, out var written))
        {
            error = SaslError.InvalidBase64;
            return false;
        }

        if (written > maxOctets)
        {
            error = SaslError.TooLong;
            return false;
        }

        octets = buffer.AsSpan(0, written).ToArray();
        return true;
    }

    /// <summary>Encodes a server challenge.</summary>
    public static string Encode(ReadOnlySpan<byte> octets) => Convert.ToBase64String(octets);

    private static bool IsCanonical(string text)
    {
        if (text.Length % 4 != 0)
        {
            return false;
        }

        var padding = text.EndsWith("==", StringComparison.Ordinal) ? 2 : text.EndsWith('=') ? 1 : 0;
        var data = text.AsSpan(0, text.Length - padding);
        foreach (var c in data)
        {
            if (!IsAlphabet(c))
            {
                return false;
            }
        }

        if (padding == 0)
        {
            return true;
        }

        // RFC 4648 §3.5: the bits after the last octet must be zero in a canonical encoding.
        var last = Value(data[^1]);
        return padding == 2 ? (last & 0x0F) == 0 : (last & 0x03) == 0;
    }

    private static bool IsAlphabet(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '+' or '/';

    private static int Value(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '+' => 62,
        _ => 63,
    };
}
