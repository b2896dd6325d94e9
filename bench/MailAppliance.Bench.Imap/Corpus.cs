using System.Globalization;
using System.Text;

namespace MailAppliance.Bench.Imap;

/// <summary>
/// The bench messages: CRLF, realistic header fields, one in three multipart/alternative (text + HTML), bodies of
/// 1–12 KB made of ordinary words. Every tenth message carries <see cref="SearchWord"/> in its body.
/// </summary>
internal static class Corpus
{
    public const string SearchWord = "zanzibar";

    private static readonly string[] Words =
    [
        "meeting", "report", "budget", "schedule", "invoice", "project", "review", "deadline", "customer", "server",
        "release", "update", "question", "answer", "morning", "weekend", "holiday", "contract", "design", "office",
        "the", "and", "for", "with", "about", "please", "thanks", "regards", "tomorrow", "yesterday", "attached", "draft",
    ];

    public static byte[] Message(int number)
    {
        var random = new Random(number);
        var date = new DateTimeOffset(2026, 1, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(number * 37);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Return-Path: <sender{number % 50}@example.org>\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Received: from mail.example.org (mail.example.org [192.0.2.{number % 250 + 1}])\r\n\tby mx.bench.test with ESMTPS id Q{number:x8}\r\n\tfor <u1@bench.test>; {date.ToString("r", CultureInfo.InvariantCulture)}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Date: {date.ToString("ddd, dd MMM yyyy HH:mm:ss", CultureInfo.InvariantCulture)} +0000\r\n");
        text.Append(CultureInfo.InvariantCulture, $"From: \"Sender {number % 50}\" <sender{number % 50}@example.org>\r\n");
        text.Append("To: \"Bench User\" <u1@bench.test>\r\n");
        if (number % 4 == 0)
        {
            text.Append("Cc: team@example.org, \"Another Person\" <another@example.net>\r\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"Subject: {Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]} #{number}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Message-ID: <{number}.{random.Next():x}@example.org>\r\n");
        text.Append("MIME-Version: 1.0\r\n");
        var body = Body(random, number, 1024 + random.Next(11 * 1024));
        if (number % 3 == 0)
        {
            var boundary = "b" + number.ToString("x8", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n");
            text.Append(CultureInfo.InvariantCulture, $"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{body}\r\n");
            text.Append(CultureInfo.InvariantCulture, $"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n<html><body><p>{body.Replace("\r\n", "<br>\r\n", StringComparison.Ordinal)}</p></body></html>\r\n");
            text.Append(CultureInfo.InvariantCulture, $"--{boundary}--\r\n");
        }
        else
        {
            text.Append("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n").Append(body).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static string Body(Random random, int number, int size)
    {
        var body = new StringBuilder(size + 100);
        var line = 0;
        while (body.Length < size)
        {
            var word = number % 10 == 0 && body.Length == 0 ? SearchWord : Words[random.Next(Words.Length)];
            body.Append(word);
            line += word.Length + 1;
            if (line > 70)
            {
                body.Append("\r\n");
                line = 0;
            }
            else
            {
                body.Append(' ');
            }
        }

        return body.ToString();
    }
}
