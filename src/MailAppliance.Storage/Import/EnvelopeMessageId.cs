using System.Text;

namespace MailAppliance.Storage.Import;

/// <summary>
/// The Message-ID of a cached IMAP ENVELOPE (RFC 3501 §7.4.2: its last field, an nstring), for --dedupe against
/// messages that arrived by delivery or APPEND rather than by an import.
/// </summary>
public static class EnvelopeMessageId
{
    /// <summary>The msg-id without angle brackets; null for NIL, a literal, or anything not understood.</summary>
    public static string? Read(ReadOnlySpan<byte> envelope)
    {
        var end = envelope.Length - 1;
        while (end >= 0 && envelope[end] is (byte)' ' or (byte)'\r' or (byte)'\n')
        {
            end--;
        }

        if (end < 1 || envelope[end] != (byte)')' || envelope[end - 1] != (byte)'"')
        {
            return null;
        }

        // Scan back to the opening quote; a quote preceded by an odd run of backslashes is escaped.
        var close = end - 1;
        for (var i = close - 1; i >= 0; i--)
        {
            if (envelope[i] != (byte)'"')
            {
                continue;
            }

            var backslashes = 0;
            for (var j = i - 1; j >= 0 && envelope[j] == (byte)'\\'; j--)
            {
                backslashes++;
            }

            if (backslashes % 2 == 1)
            {
                continue;
            }

            var value = Encoding.UTF8.GetString(envelope[(i + 1)..close]).Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            return ImportFingerprint.NormalizeMessageId(value);
        }

        return null;
    }
}
