using System.Text;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// RFC 8689 §3: the <c>TLS-Required: No</c> header field, by which a sender asks that the recipient domain's TLS
/// policies (MTA-STS, DANE) do not stop the message (§4.2.2). Sans-I/O over the header bytes; the stream overload
/// reads at most <see cref="MaxHeaderBytes"/> and puts the stream back where it was.
/// </summary>
public static class TlsRequiredField
{
    /// <summary>How much of a message is looked at: a header section longer than this is not searched further.</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    private static readonly byte[] Name = "TLS-Required"u8.ToArray();

    /// <summary>True when the header section of <paramref name="message"/> holds <c>TLS-Required: No</c>.</summary>
    public static bool SaysNo(Stream message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var start = message.Position;
        try
        {
            var buffer = new byte[MaxHeaderBytes];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = message.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }

            return SaysNo(buffer.AsSpan(0, length));
        }
        finally
        {
            message.Position = start;
        }
    }

    /// <summary>True when the header section at the start of <paramref name="header"/> holds <c>TLS-Required: No</c>.</summary>
    public static bool SaysNo(ReadOnlySpan<byte> header)
    {
        while (!header.IsEmpty)
        {
            var end = header.IndexOf((byte)'\n');
            var line = end < 0 ? header : header[..end];
            header = end < 0 ? [] : header[(end + 1)..];
            line = line.TrimEnd((byte)'\r');
            if (line.IsEmpty)
            {
                return false; // RFC 5322 §2.1: the empty line ends the header section
            }

            var colon = line.IndexOf((byte)':');
            if (colon < 0 || !Ascii.EqualsIgnoreCase(line[..colon].TrimEnd((byte)' '), Name))
            {
                continue;
            }

            // RFC 5322 §2.2.3: the value may be folded onto continuation lines.
            var value = new StringBuilder(Encoding.ASCII.GetString(line[(colon + 1)..]));
            while (!header.IsEmpty && header[0] is (byte)' ' or (byte)'\t')
            {
                var next = header.IndexOf((byte)'\n');
                value.Append(Encoding.ASCII.GetString((next < 0 ? header : header[..next]).TrimEnd((byte)'\r')));
                header = next < 0 ? [] : header[(next + 1)..];
            }

            // RFC 8689 §3: "No" is the field's only value (case-insensitive, as header values of keywords are).
            return value.ToString().Trim().Equals("No", StringComparison.OrdinalIgnoreCase);
        }

        return false;
    }
}
