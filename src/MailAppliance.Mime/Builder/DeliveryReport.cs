using System.Text;

namespace MailAppliance.Mime.Builder;

/// <summary>Bodies of generated reports: DSNs (RFC 3464, RFC 6522) and auto-replies (RFC 3834).</summary>
public static class DeliveryReport
{
    /// <summary>
    /// A multipart/report; report-type=delivery-status body: a human-readable text part, the
    /// message/delivery-status part, and the original message (message/rfc822) or only its header
    /// (text/rfc822-headers) when <paramref name="originalMessage"/> is null.
    /// </summary>
    public static MimeEntity Build(string reportingMta, string humanText, IEnumerable<DeliveryStatusRecipient> recipients,
        byte[]? originalHeader, byte[]? originalMessage, DateTimeOffset? arrivalDate = null)
    {
        var status = new StringBuilder();
        status.Append("Reporting-MTA: dns; ").Append(reportingMta).Append("\r\n");
        if (arrivalDate is { } arrival)
        {
            status.Append("Arrival-Date: ").Append(MessageBuilder.FormatDate(arrival)).Append("\r\n");
        }

        foreach (var r in recipients)
        {
            status.Append("\r\n");
            if (r.OriginalRecipient is not null)
            {
                status.Append("Original-Recipient: rfc822; ").Append(r.OriginalRecipient).Append("\r\n");
            }

            status.Append("Final-Recipient: rfc822; ").Append(r.FinalRecipient).Append("\r\n");
            status.Append("Action: ").Append(r.Action).Append("\r\n");
            status.Append("Status: ").Append(r.Status).Append("\r\n");
            if (r.RemoteMta is not null)
            {
                status.Append("Remote-MTA: dns; ").Append(r.RemoteMta).Append("\r\n");
            }

            if (r.DiagnosticCode is not null)
            {
                status.Append(HeaderEncoder.Fold("Diagnostic-Code", "smtp; " + r.DiagnosticCode));
            }
        }

        var parts = new List<MimeEntity>
        {
            MimeEntity.Text(humanText),
            MimeEntity.Raw("message", "delivery-status", Encoding.UTF8.GetBytes(status.ToString().TrimEnd('\r', '\n'))),
        };
        // A message with lines over 998 octets cannot be returned whole without BINARYMIME (RFC 3030); RFC 3462
        // allows returning only its header then.
        if (originalMessage is not null && TransferEncodingOf(originalMessage) != "binary")
        {
            parts.Add(MimeEntity.Raw("message", "rfc822", Trim(originalMessage), TransferEncodingOf(originalMessage)));
        }
        else if ((originalHeader ?? HeaderOf(originalMessage)) is { } header)
        {
            var safe = WrapLongLines(Trim(header));
            parts.Add(MimeEntity.Raw("text", "rfc822-headers", safe, TransferEncodingOf(safe)));
        }

        return MimeEntity.Multipart("report", parts, new KeyValuePair<string, string>("report-type", "delivery-status"));
    }

    /// <summary>
    /// Starts an automatic reply (vacation) to a parsed message per RFC 3834: To the Reply-To or From, Subject
    /// "Auto: …", In-Reply-To and References threaded, Auto-Submitted: auto-replied. The caller sets From and Body.
    /// </summary>
    public static MessageBuilder AutoReply(MessagePart original, string subjectPrefix = "Auto: ")
    {
        var b = new MessageBuilder();
        var replyTo = original.GetHeader("Reply-To") ?? original.GetHeader("From");
        if (replyTo is not null)
        {
            b.To(AddressParser.ParseList(replyTo.Value).ToArray());
        }

        b.Subject(subjectPrefix + (original.GetDecodedValue("Subject") ?? string.Empty));
        var id = MessageIds.Parse(original.GetHeader("Message-ID")?.Value);
        if (id is not null)
        {
            b.InReplyTo(id);
            b.References(MessageIds.ParseList(original.GetHeader("References")?.Value).Append(id));
            b.BoundarySeed = id;
        }

        // RFC 3834 §5: mark the reply so other responders do not answer it.
        b.Header("Auto-Submitted", "auto-replied");
        return b;
    }

    /// <summary>The header block of a raw message (up to the first empty line), or null.</summary>
    private static byte[]? HeaderOf(byte[]? message)
    {
        if (message is null)
        {
            return null;
        }

        var structure = MimeParser.Parse(message);
        return message[..(int)structure.Root.HeaderLength];
    }

    /// <summary>Folds header lines longer than 998 octets (RFC 5322 §2.1.1) by inserting CRLF + space.</summary>
    private static byte[] WrapLongLines(byte[] data)
    {
        var output = new List<byte>(data.Length + 16);
        var line = 0;
        foreach (var b in data)
        {
            if (b == (byte)'\n')
            {
                line = 0;
            }
            else if (++line > 990)
            {
                output.AddRange("\r\n "u8.ToArray());
                line = 2;
            }

            output.Add(b);
        }

        return output.ToArray();
    }

    private static byte[] Trim(byte[] data)
    {
        var end = data.Length;
        while (end > 0 && data[end - 1] is (byte)'\r' or (byte)'\n')
        {
            end--;
        }

        return data[..end];
    }

    /// <summary>RFC 6533 / RFC 2045: 8bit when 8-bit bytes occur, binary when lines exceed 998 octets.</summary>
    private static string TransferEncodingOf(byte[] data)
    {
        var line = 0;
        var eightBit = false;
        foreach (var b in data)
        {
            if (b == (byte)'\n')
            {
                line = 0;
                continue;
            }

            eightBit |= b >= 0x80 || b == 0;
            if (++line > 998)
            {
                return "binary";
            }
        }

        return eightBit ? "8bit" : "7bit";
    }
}
