using System.Text;
using MailAppliance.Mime;
using MailAppliance.Mime.Builder;

namespace MailAppliance.Mime.Bench;

/// <summary>The benchmark inputs, built once: realistic shapes at 1 KiB, 100 KiB, 10 MiB and 50 parts.</summary>
internal static class SampleMessages
{
    public static byte[] Small { get; } = Simple(1024);

    public static byte[] Medium { get; } = WithAttachment(100 * 1024);

    public static byte[] Large { get; } = WithAttachment(10 * 1024 * 1024);

    public static byte[] FiftyParts { get; } = ManyParts(50);

    private static string Headers() => """
        Return-Path: <alice@example.org>
        Received: from mx.example.org (mx.example.org [192.0.2.1])
        	by mail.example.net with ESMTPS id 4ABC123
        	for <bob@example.net>; Sun, 22 Nov 2026 09:00:00 +0000
        DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;
        	h=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;
        	b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBidXQgaXQgaXMgbG9uZyBlbm91Z2g=
        From: Alice Example <alice@example.org>
        To: Bob <bob@example.net>, "Carol, C." <carol@example.net>
        Subject: =?utf-8?q?Quarterly_report_f=C3=BCr_Q3?=
        Date: Sun, 22 Nov 2026 09:00:00 +0000
        Message-ID: <bench-1@example.org>
        MIME-Version: 1.0

        """.Replace("\n", "\r\n", StringComparison.Ordinal);

    private static byte[] Simple(int size)
    {
        var sb = new StringBuilder(Headers().TrimEnd('\r', '\n') + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
        while (sb.Length < size)
        {
            sb.Append("The quick brown fox jumps over the lazy dog, again and again.\r\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString(0, size));
    }

    private static byte[] WithAttachment(int size)
    {
        var data = new byte[size * 3 / 4];
        new Random(1).NextBytes(data);
        var body = MimeEntity.Multipart("mixed", new[]
        {
            MimeEntity.Text("Please find the report attached.\nRegards, Alice\n"),
            MimeEntity.Binary(data, "application", "pdf", "report.pdf"),
        });
        return Prefix(new MessageBuilder { BoundarySeed = "bench" }.Body(body).ToArray());
    }

    private static byte[] ManyParts(int parts)
    {
        var list = Enumerable.Range(0, parts).Select(i => i % 2 == 0
            ? MimeEntity.Text(string.Concat(Enumerable.Repeat($"Part {i}: some text line for the benchmark.\n", 40)))
            : MimeEntity.Binary(Enumerable.Range(0, 1500).Select(b => (byte)(b * i)).ToArray(), "image", "png", $"image{i}.png"));
        return Prefix(new MessageBuilder { BoundarySeed = "bench" }.Body(MimeEntity.Multipart("mixed", list)).ToArray());
    }

    private static byte[] Prefix(byte[] built) => Encoding.UTF8.GetBytes(Headers().TrimEnd('\r', '\n') + "\r\n").Concat(built).ToArray();
}
