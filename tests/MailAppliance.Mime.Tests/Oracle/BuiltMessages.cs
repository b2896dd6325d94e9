using MailAppliance.Mime.Builder;

namespace MailAppliance.Mime.Tests.Oracle;

/// <summary>Messages produced by <see cref="MessageBuilder"/>, added to the oracle comparison.</summary>
internal static class BuiltMessages
{
    public static IEnumerable<(string Name, byte[] Raw)> All()
    {
        var original = TestMessages.Load("attachments-crlf.eml");
        yield return ("built-dsn", new MessageBuilder { BoundarySeed = "dsn" }
            .From(new MailboxAddress("Mail Delivery System", null, "MAILER-DAEMON", "mail.example.net"))
            .To(new MailboxAddress(null, null, "sender", "example.com"))
            .Subject("Undelivered Mail Returned to Sender")
            .Date(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero))
            .MessageId("dsn-1@mail.example.net")
            .Header("Auto-Submitted", "auto-replied")
            .Body(DeliveryReport.Build("mail.example.net", "This is the mail system at host mail.example.net.\n\nYour message could not be delivered.\n",
                new[]
                {
                    new DeliveryStatusRecipient("rcpt@example.net", "failed", "5.1.1", "mx.example.net", "550 5.1.1 <rcpt@example.net>: Recipient address rejected: User unknown in virtual mailbox table"),
                    new DeliveryStatusRecipient("other@example.net", "delayed", "4.4.1"),
                },
                null, original, new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero)))
            .ToArray());

        yield return ("built-auto-reply", DeliveryReport.AutoReply(MimeParser.Parse(original).Root)
            .From(new MailboxAddress("Réception Müller", null, "rcpt", "example.net"))
            .Date(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.FromHours(2)))
            .MessageId("auto-1@example.net")
            .Body(MimeEntity.Multipart("alternative", new[]
            {
                MimeEntity.Text("Ich bin bis Montag nicht im Büro.\n.\nFrom Monday on I am back.\n"),
                MimeEntity.Text("<p>Ich bin bis Montag nicht im B&uuml;ro.</p>", "html"),
            }))
            .ToArray());

        yield return ("built-attachments", new MessageBuilder { BoundarySeed = "att" }
            .From(new MailboxAddress("Ünïcode \"Quoted\" Name", null, "a", "example.org"))
            .To(new GroupAddress("Team", new[] { new MailboxAddress(null, null, "b", "example.org") }), new MailboxAddress(null, null, "odd local", "example.org"))
            .Subject(new string('x', 100) + " ünïcödé " + new string('y', 100))
            .Body(MimeEntity.Multipart("mixed", new[]
            {
                MimeEntity.Text(new string('z', 3000)),
                MimeEntity.Binary(new byte[] { 0, 1, 2, 255 }, "application", "octet-stream", "naïve file name with spaces and a long tail that needs continuations.bin"),
                MimeEntity.Binary(new byte[] { 137, 80, 78, 71 }, "image", "png", "logo.png", inline: true).WithHeader("Content-ID", "<logo@example.org>"),
            }))
            .ToArray());
    }
}
