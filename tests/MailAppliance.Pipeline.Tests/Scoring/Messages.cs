using System.Text;

namespace MailAppliance.Pipeline.Tests.Scoring;

/// <summary>Test messages, written out as a sender would send them.</summary>
internal static class Messages
{
    public const string Gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    public static byte[] Plain(string body, string subject = "Lunch on Friday?", string from = "Alice <alice@sender.test>", bool date = true, bool messageId = true)
    {
        var text = new StringBuilder();
        text.Append("From: ").Append(from).Append("\r\n");
        text.Append("To: bob@example.test\r\n");
        text.Append("Subject: ").Append(subject).Append("\r\n");
        if (date)
        {
            text.Append("Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n");
        }

        if (messageId)
        {
            text.Append("Message-ID: <").Append(Guid.NewGuid().ToString("N")).Append("@sender.test>\r\n");
        }

        text.Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n").Append(body.ReplaceLineEndings("\r\n")).Append("\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static byte[] HtmlOnly(string html, string subject = "Your account") => Encoding.UTF8.GetBytes(
        $"From: Bank <service@bank.test>\r\nTo: bob@example.test\r\nSubject: {subject}\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n" +
        $"Message-ID: <{Guid.NewGuid():N}@bank.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n");

    public static byte[] Base64Text(string body) => Encoding.UTF8.GetBytes(
        "From: a@sender.test\r\nTo: bob@example.test\r\nSubject: hello\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n" +
        $"Message-ID: <{Guid.NewGuid():N}@sender.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
        Convert.ToBase64String(Encoding.ASCII.GetBytes(body), Base64FormattingOptions.InsertLineBreaks) + "\r\n");
}
