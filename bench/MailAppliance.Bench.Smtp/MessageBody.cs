using System.Text;

namespace MailAppliance.Bench.Smtp;

/// <summary>
/// A synthetic message of an exact size in CRLF lines of 76 characters, already dot-stuffed (no line starts with
/// '.'), ending in CRLF. The DATA terminator is sent separately.
/// </summary>
internal static class MessageBody
{
    public static byte[] Build(long size, string from, string to)
    {
        var header = new StringBuilder()
            .Append("From: <").Append(from).Append(">\r\n")
            .Append("To: <").Append(to).Append(">\r\n")
            .Append("Subject: smtp intake benchmark\r\n")
            .Append("Message-ID: <").Append(Guid.NewGuid().ToString("N")).Append("@bench.test>\r\n")
            .Append("Date: ").Append(DateTimeOffset.UtcNow.ToString("r", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("MIME-Version: 1.0\r\n")
            .Append("Content-Type: text/plain; charset=us-ascii\r\n")
            .Append("\r\n")
            .ToString();
        var headerBytes = Encoding.ASCII.GetBytes(header);
        var total = Math.Max(size, headerBytes.Length + 2);
        var body = new byte[total];
        headerBytes.CopyTo(body, 0);

        // Fill with 'x' lines; the last line is shortened so the total is exact. Lines never start with '.'.
        const int lineLength = 76;
        var pos = headerBytes.Length;
        var col = 0;
        while (pos < total - 2)
        {
            if (col == lineLength && pos <= total - 4)
            {
                body[pos++] = (byte)'\r';
                body[pos++] = (byte)'\n';
                col = 0;
                continue;
            }

            body[pos++] = (byte)('a' + (col % 26));
            col++;
        }

        body[total - 2] = (byte)'\r';
        body[total - 1] = (byte)'\n';
        return body;
    }
}
