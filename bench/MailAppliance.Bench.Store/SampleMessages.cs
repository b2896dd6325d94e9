using System.Globalization;
using System.Text;

namespace MailAppliance.Bench.Store;

/// <summary>
/// Messages for the benchmarks, with CRLF line ends as they arrive over SMTP. Each is a function of its number
/// (a seeded generator), so runs are repeatable. Everything is ASCII, so characters and bytes coincide.
/// </summary>
internal static class SampleMessages
{
    private static readonly string[] Words =
    [
        "meeting", "invoice", "schedule", "project", "review", "report", "quarterly", "budget", "please", "attached",
        "update", "deadline", "customer", "server", "backup", "release", "thanks", "regards", "question", "agenda",
        "the", "and", "for", "with", "this", "that", "from", "will", "have", "about", "next", "week", "team", "notes",
    ];

    private static readonly string[] People =
    [
        "Alice Martin <alice.martin@example.com>", "Bob Chen <bchen@example.org>", "Carol Diaz <carol@example.net>",
        "\"Dupont, Jean\" <jean.dupont@example.fr>", "Erin O'Neil <erin@example.co.uk>", "noreply@notifications.example.com",
    ];

    /// <summary>A text/plain message of exactly <paramref name="size"/> bytes (or its headers alone, when longer).</summary>
    public static byte[] Plain(string runId, int number, int size)
    {
        var random = new Random(number);
        var text = new StringBuilder(size + 128);
        AppendHeaders(text, random, runId, number);
        text.Append("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
        while (text.Length < size)
        {
            var line = Sentence(random, 70);
            var room = size - text.Length - 2;
            text.Append(line.AsSpan(0, Math.Max(0, Math.Min(line.Length, room)))).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>
    /// A 2–4 KB message of one of three everyday shapes: plain text; multipart/alternative with a text and an
    /// HTML part; multipart/mixed with a text part and a small base64 attachment.
    /// </summary>
    public static byte[] Realistic(string runId, int number)
    {
        var random = new Random(number);
        var text = new StringBuilder(4096);
        AppendHeaders(text, random, runId, number);
        var paragraphs = Paragraphs(random, random.Next(2, 5));
        var boundary = "=_bench_" + number.ToString("x8", CultureInfo.InvariantCulture);
        switch (number % 3)
        {
            case 0:
                text.Append("Content-Type: text/plain; charset=us-ascii; format=flowed\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
                text.Append(paragraphs).Append(Paragraphs(random, 2));
                break;
            case 1:
                text.Append("Content-Type: multipart/alternative; boundary=\"").Append(boundary).Append("\"\r\n\r\n");
                text.Append("This is a multi-part message in MIME format.\r\n\r\n");
                text.Append("--").Append(boundary).Append("\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
                text.Append(paragraphs);
                text.Append("--").Append(boundary).Append("\r\nContent-Type: text/html; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
                text.Append("<html><body>\r\n");
                foreach (var paragraph in paragraphs.ToString().Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries))
                {
                    text.Append("<p>").Append(paragraph.Replace("\r\n", "<br>\r\n", StringComparison.Ordinal)).Append("</p>\r\n");
                }

                text.Append("</body></html>\r\n--").Append(boundary).Append("--\r\n");
                break;
            default:
                var attachment = new byte[random.Next(400, 1200)];
                random.NextBytes(attachment);
                text.Append("Content-Type: multipart/mixed; boundary=\"").Append(boundary).Append("\"\r\n\r\n");
                text.Append("--").Append(boundary).Append("\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n");
                text.Append(paragraphs);
                text.Append("--").Append(boundary).Append("\r\nContent-Type: application/pdf; name=\"report-").Append(number).Append(".pdf\"\r\n");
                text.Append("Content-Disposition: attachment; filename=\"report-").Append(number).Append(".pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
                var encoded = Convert.ToBase64String(attachment);
                for (var i = 0; i < encoded.Length; i += 76)
                {
                    text.Append(encoded.AsSpan(i, Math.Min(76, encoded.Length - i))).Append("\r\n");
                }

                text.Append("--").Append(boundary).Append("--\r\n");
                break;
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static void AppendHeaders(StringBuilder text, Random random, string runId, int number)
    {
        var date = new DateTimeOffset(2026, 1, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(number * 7 % 400_000);
        var from = People[random.Next(People.Length)];
        text.Append("Return-Path: <bounce-").Append(number).Append("@example.com>\r\n");
        text.Append("Received: from mx.example.com (mx.example.com [192.0.2.25])\r\n\tby mail.bench.test with ESMTPS id ")
            .Append(runId).Append('-').Append(number).Append(";\r\n\t").Append(date.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)).Append("\r\n");
        text.Append("From: ").Append(from).Append("\r\n");
        text.Append("To: Bench User <user@bench.test>\r\n");
        if (random.Next(4) == 0)
        {
            text.Append("Cc: ").Append(People[random.Next(People.Length)]).Append("\r\n");
        }

        text.Append("Subject: ");
        if (random.Next(5) == 0)
        {
            // RFC 2047 encoded word, as many clients send for non-ASCII subjects ("Réunion").
            text.Append("=?UTF-8?Q?R=C3=A9union_").Append(Words[random.Next(Words.Length)]).Append("?= ");
        }

        text.Append(Sentence(random, 40)).Append("\r\n");
        text.Append("Date: ").Append(date.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)).Append("\r\n");
        text.Append("Message-ID: <").Append(runId).Append('.').Append(number).Append("@example.com>\r\n");
        text.Append("MIME-Version: 1.0\r\n");
    }

    private static StringBuilder Paragraphs(Random random, int count)
    {
        var text = new StringBuilder();
        for (var p = 0; p < count; p++)
        {
            for (var line = random.Next(3, 7); line > 0; line--)
            {
                text.Append(Sentence(random, 72)).Append("\r\n");
            }

            text.Append("\r\n");
        }

        return text;
    }

    private static string Sentence(Random random, int maxLength)
    {
        var text = new StringBuilder(maxLength);
        while (true)
        {
            var word = Words[random.Next(Words.Length)];
            if (text.Length + word.Length + 1 > maxLength)
            {
                return text.ToString();
            }

            text.Append(text.Length == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : " " + word);
        }
    }
}
