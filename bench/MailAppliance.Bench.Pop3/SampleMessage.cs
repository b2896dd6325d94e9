using System.Globalization;
using System.Text;

namespace MailAppliance.Bench.Pop3;

/// <summary>
/// A plain-text message of about the requested size: seven header fields, then 76-character CRLF lines, some of
/// which start with a dot (so RETR has lines to byte-stuff). Each message gets its own Message-ID and subject.
/// </summary>
internal static class SampleMessage
{
    public static byte[] Build(long size, int number, string to)
    {
        var text = new StringBuilder()
            .Append("From: Bench Sender <sender@bench-client.test>\r\n")
            .Append("To: <").Append(to).Append(">\r\n")
            .Append("Subject: pop3 benchmark message ").Append(number.ToString(CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Message-ID: <").Append(number.ToString(CultureInfo.InvariantCulture)).Append('.').Append(Guid.NewGuid().ToString("N")).Append("@bench.test>\r\n")
            .Append("Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n")
            .Append("MIME-Version: 1.0\r\n")
            .Append("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
        for (var line = 0; text.Length < size; line++)
        {
            var prefix = line % 25 == 24 ? "." : "";
            var body = prefix + $"line {line:D6} of message {number:D6} " + new string((char)('a' + line % 26), 76);
            text.Append(body.AsSpan(0, 76)).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
