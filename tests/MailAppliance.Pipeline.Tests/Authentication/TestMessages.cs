using System.Text;

namespace MailAppliance.Pipeline.Tests.Authentication;

/// <summary>Messages as they arrive over SMTP: CRLF line ends, bytes as sent.</summary>
public static class TestMessages
{
    public static byte[] Simple(string from = "Alice <alice@example.test>", string subject = "Lunch") => Encoding.UTF8.GetBytes(
        $"From: {from}\r\n" +
        "To: Bob <bob@receiver.test>\r\n" +
        $"Subject: {subject}\r\n" +
        "Date: Sun, 01 Mar 2026 12:00:00 +0000\r\n" +
        "Message-ID: <lunch-1@example.test>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Transfer-Encoding: 8bit\r\n" +
        "\r\n" +
        "Shall we meet at noon?   \r\n" +
        "Bring  the   book.\r\n" +
        "\r\n" +
        "\r\n");

    /// <summary>Multipart with a preamble, folded headers, trailing white space, 8-bit text and no final newline.</summary>
    public static byte[] Awkward(string from = "alice@example.test") => Encoding.UTF8.GetBytes(
        $"From: {from}\r\n" +
        "To: bob@receiver.test,\r\n" +
        "  carol@receiver.test\r\n" +
        "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=   \r\n" +
        "  from the mountains\r\n" +
        "Date: Sun, 01 Mar 2026 12:00:00 +0000\r\n" +
        "Message-ID: <awkward-1@example.test>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "X-Mailer:    Something\t old\r\n" +
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n" +
        "\r\n" +
        "This is a preamble.\r\n" +
        "--b1\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "\r\n" +
        "Grüße aus den Bergen \t\r\n" +
        "--b1\r\n" +
        "Content-Type: application/octet-stream\r\n" +
        "Content-Transfer-Encoding: base64\r\n" +
        "\r\n" +
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n" +
        "--b1--\r\n" +
        "epilogue");
}
