using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using MailAppliance.Mime.Builder;

namespace MailAppliance.Pipeline.Reports;

/// <summary>RFC 3464 §2.3.3 Action: what happened to a recipient.</summary>
public enum DsnAction
{
    Failed,
    Delayed,
    Delivered,
    Relayed,
}

/// <summary>
/// One recipient's block of a DSN (RFC 3464 §2.3). Addresses come decoded: <paramref name="OriginalRecipient"/> is
/// the ORCPT's address type and address (<c>rfc822</c>, <c>a@b</c>), never xtext.
/// </summary>
/// <param name="Status">RFC 3463 code, e.g. <c>5.1.1</c>.</param>
/// <param name="RemoteMta">The host that gave <paramref name="Diagnostic"/>, when a remote server answered.</param>
/// <param name="Diagnostic">The remote reply verbatim (Diagnostic-Code type <c>smtp</c>), or our own reason
/// (<paramref name="DiagnosticIsSmtp"/> false: type <c>x-mailappliance</c>).</param>
public sealed record DsnRecipient(
    string FinalRecipient,
    (string Type, string Address)? OriginalRecipient,
    DsnAction Action,
    string Status,
    string? RemoteMta,
    string? Diagnostic,
    bool DiagnosticIsSmtp,
    DateTimeOffset? LastAttempt = null,
    DateTimeOffset? WillRetryUntil = null);

/// <summary>What a DSN reports and to whom.</summary>
/// <param name="ReportingMta">Our host name (Reporting-MTA, and MAILER-DAEMON's domain).</param>
/// <param name="Recipient">The original message's envelope sender: where the DSN goes.</param>
/// <param name="MessageId">The DSN's own Message-ID, without brackets.</param>
/// <param name="EnvelopeId">RFC 3461 ENVID of the original, decoded from xtext (RFC 3461 §6.3).</param>
/// <param name="ReturnFull">Return the whole original (RET=FULL, or RET absent on a failure) rather than its header.</param>
/// <param name="Utf8">The original needed SMTPUTF8: the report uses RFC 6533's message/global types.</param>
public sealed record DsnReport(
    string ReportingMta,
    string Recipient,
    string MessageId,
    string QueueId,
    DateTimeOffset ArrivalDate,
    DateTimeOffset Date,
    string? EnvelopeId,
    IReadOnlyList<DsnRecipient> Recipients,
    bool ReturnFull,
    bool Utf8 = false);

/// <summary>
/// Writes a delivery status notification (RFC 3464, as a multipart/report of RFC 6522): a text part for people, the
/// message/delivery-status part for programs, and the original message (message/rfc822) or its header
/// (text/rfc822-headers). The original is streamed from the spool, never held whole; RFC 3461 §6.2: the DSN is sent
/// from the null reverse-path by its caller.
/// </summary>
public static class DeliveryStatusNotification
{
    /// <summary>A header block longer than this is cut (a DSN quoting headers need not carry megabytes of them).</summary>
    public const int MaxReturnedHeader = 256 * 1024;

    private const int CopyBuffer = 64 * 1024;

    /// <summary>The DSN's Subject for its kind of news.</summary>
    public static string Subject(IReadOnlyList<DsnRecipient> recipients) =>
        recipients.Any(r => r.Action == DsnAction.Failed) ? "Delivery Status Notification (Failure)"
        : recipients.Any(r => r.Action == DsnAction.Delayed) ? "Delivery Status Notification (Delay)"
        : "Delivery Status Notification (Success)";

    /// <summary>
    /// Writes the whole DSN to <paramref name="output"/>. <paramref name="original"/> is the original message as
    /// spooled, read from its start (twice when returned whole: once to choose the transfer encoding, once to copy).
    /// </summary>
    public static async Task WriteAsync(Stream output, DsnReport report, Stream original, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(original);
        var boundary = $"{report.QueueId}/{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}";
        var onlyFailures = report.Recipients.All(r => r.Action == DsnAction.Failed);

        // RFC 3461 §4.3: RET concerns failed DSNs only; delay and success reports carry the header.
        var whole = report.ReturnFull && onlyFailures;
        var encoding = whole ? await TransferEncodingAsync(original, cancellationToken) : null;
        if (encoding == "binary")
        {
            // A line over 998 octets cannot travel in message/rfc822 without BINARYMIME: the header only (RFC 3462).
            whole = false;
        }

        var head = new StringBuilder();
        head.Append(HeaderEncoder.Fold("From", $"Mail Delivery System <MAILER-DAEMON@{report.ReportingMta}>"));
        head.Append(HeaderEncoder.Fold("To", $"<{report.Recipient}>"));
        head.Append(HeaderEncoder.Fold("Subject", Subject(report.Recipients)));
        head.Append(HeaderEncoder.Fold("Date", MessageBuilder.FormatDate(report.Date)));
        head.Append(HeaderEncoder.Fold("Message-ID", $"<{report.MessageId}>"));
        // RFC 3834 §5: an automatic message; responders must not answer it.
        head.Append("Auto-Submitted: auto-replied\r\n");
        head.Append("MIME-Version: 1.0\r\n");
        head.Append(HeaderEncoder.Fold("Content-Type", $"multipart/report; report-type={(report.Utf8 ? "global-delivery-status" : "delivery-status")}; boundary=\"{boundary}\""));
        head.Append("\r\n");
        head.Append("This is a MIME-encapsulated delivery status notification.\r\n\r\n");

        head.Append("--").Append(boundary).Append("\r\n");
        head.Append("Content-Description: Notification\r\n");
        head.Append("Content-Type: text/plain; charset=utf-8\r\n");
        head.Append("Content-Transfer-Encoding: 8bit\r\n\r\n");
        head.Append(HumanText(report));
        head.Append("\r\n--").Append(boundary).Append("\r\n");
        head.Append("Content-Description: Delivery report\r\n");
        head.Append("Content-Type: ").Append(report.Utf8 ? "message/global-delivery-status" : "message/delivery-status").Append("\r\n");
        head.Append(report.Utf8 ? "Content-Transfer-Encoding: 8bit\r\n\r\n" : "\r\n");
        head.Append(StatusFields(report));
        head.Append("\r\n--").Append(boundary).Append("\r\n");
        if (whole)
        {
            head.Append("Content-Description: Undelivered Message\r\n");
            head.Append("Content-Type: ").Append(report.Utf8 ? "message/global" : "message/rfc822").Append("\r\n");
            head.Append("Content-Transfer-Encoding: ").Append(encoding).Append("\r\n\r\n");
        }
        else
        {
            head.Append("Content-Description: ").Append(onlyFailures ? "Undelivered Message Headers" : "Message Headers").Append("\r\n");
            head.Append("Content-Type: ").Append(report.Utf8 ? "message/global-headers" : "text/rfc822-headers").Append("\r\n");
            head.Append(report.Utf8 ? "Content-Transfer-Encoding: 8bit\r\n\r\n" : "\r\n");
        }

        await output.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()), cancellationToken);
        original.Position = 0;
        var endsWithLineBreak = whole
            ? await CopyAsync(original, output, long.MaxValue, cancellationToken)
            : await CopyHeaderAsync(original, output, cancellationToken);
        var tail = (endsWithLineBreak ? "" : "\r\n") + "\r\n--" + boundary + "--\r\n";
        await output.WriteAsync(Encoding.ASCII.GetBytes(tail), cancellationToken);
    }

    private static string HumanText(DsnReport report)
    {
        var text = new StringBuilder();
        text.Append("This is the mail system at ").Append(report.ReportingMta).Append(".\r\n\r\n");
        var failed = report.Recipients.Where(r => r.Action == DsnAction.Failed).ToList();
        var delayed = report.Recipients.Where(r => r.Action == DsnAction.Delayed).ToList();
        var done = report.Recipients.Where(r => r.Action is DsnAction.Delivered or DsnAction.Relayed).ToList();
        if (failed.Count > 0)
        {
            text.Append("Your message could not be delivered to the recipients below. This is a\r\n")
                .Append("permanent error; the message has been given up. The reason for each\r\n")
                .Append("recipient follows; the message itself (or its header) is attached.\r\n\r\n");
            Reasons(text, failed);
        }

        if (delayed.Count > 0)
        {
            var until = delayed.Select(r => r.WillRetryUntil).FirstOrDefault(u => u is not null);
            text.Append("Your message has not been delivered yet to the recipients below. It is still\r\n")
                .Append("in the queue and will be tried again");
            text.Append(until is { } u ? " until " + MessageBuilder.FormatDate(u) : "").Append(".\r\n")
                .Append("You need not send it again; this is only a warning.\r\n\r\n");
            Reasons(text, delayed);
        }

        if (done.Count > 0)
        {
            text.Append("Your message was delivered to the recipients below (as you asked to be told).\r\n\r\n");
            foreach (var r in done)
            {
                text.Append('<').Append(r.FinalRecipient).Append(">: ")
                    .Append(r.Action == DsnAction.Relayed ? "passed on to a server that does not report delivery" : "delivered").Append("\r\n");
            }
        }

        return text.ToString();
    }

    private static void Reasons(StringBuilder text, List<DsnRecipient> recipients)
    {
        foreach (var r in recipients)
        {
            text.Append('<').Append(r.FinalRecipient).Append(">: ");
            text.Append(r.RemoteMta is null ? "" : $"host {r.RemoteMta} said: ").Append(r.Diagnostic ?? r.Status).Append("\r\n");
        }

        text.Append("\r\n");
    }

    /// <summary>RFC 3464 §2.2 per-message fields, then §2.3 per-recipient fields, blocks separated by empty lines.</summary>
    private static string StatusFields(DsnReport report)
    {
        var addressType = report.Utf8 ? "utf-8" : "rfc822";
        var fields = new StringBuilder();
        fields.Append("Reporting-MTA: dns; ").Append(report.ReportingMta).Append("\r\n");
        fields.Append("X-MailAppliance-Queue-ID: ").Append(report.QueueId).Append("\r\n");
        if (report.EnvelopeId is { Length: > 0 } envid)
        {
            fields.Append(HeaderEncoder.Fold("Original-Envelope-Id", envid));
        }

        fields.Append("Arrival-Date: ").Append(MessageBuilder.FormatDate(report.ArrivalDate)).Append("\r\n");
        foreach (var r in report.Recipients)
        {
            fields.Append("\r\n");
            if (r.OriginalRecipient is { } original)
            {
                fields.Append(HeaderEncoder.Fold("Original-Recipient", $"{original.Type}; {original.Address}"));
            }

            fields.Append(HeaderEncoder.Fold("Final-Recipient", $"{addressType}; {r.FinalRecipient}"));
            fields.Append("Action: ").Append(r.Action.ToString().ToLowerInvariant()).Append("\r\n");
            fields.Append("Status: ").Append(r.Status).Append("\r\n");
            if (r.RemoteMta is not null)
            {
                fields.Append(HeaderEncoder.Fold("Remote-MTA", "dns; " + r.RemoteMta));
            }

            if (r.Diagnostic is not null)
            {
                fields.Append(HeaderEncoder.Fold("Diagnostic-Code", (r.DiagnosticIsSmtp ? "smtp; " : "x-mailappliance; ") + r.Diagnostic));
            }

            if (r.LastAttempt is { } last)
            {
                fields.Append("Last-Attempt-Date: ").Append(MessageBuilder.FormatDate(last)).Append("\r\n");
            }

            if (r.WillRetryUntil is { } until && r.Action == DsnAction.Delayed)
            {
                fields.Append("Will-Retry-Until: ").Append(MessageBuilder.FormatDate(until)).Append("\r\n");
            }
        }

        return fields.ToString();
    }

    /// <summary>RFC 2045 §2.7–2.8: 7bit, 8bit when 8-bit octets occur, binary when a line exceeds 998 octets.</summary>
    private static async Task<string> TransferEncodingAsync(Stream original, CancellationToken cancellationToken)
    {
        original.Position = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBuffer);
        try
        {
            var line = 0;
            var eightBit = false;
            int read;
            while ((read = await original.ReadAsync(buffer.AsMemory(0, CopyBuffer), cancellationToken)) > 0)
            {
                foreach (var b in buffer.AsSpan(0, read))
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
            }

            return eightBit ? "8bit" : "7bit";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Copies up to <paramref name="limit"/> octets; true when what was copied ends with a line break.</summary>
    private static async Task<bool> CopyAsync(Stream from, Stream to, long limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBuffer);
        try
        {
            var last = (byte)'\n';
            int read;
            while (limit > 0 && (read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(CopyBuffer, limit)), cancellationToken)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                last = buffer[read - 1];
                limit -= read;
            }

            return last == (byte)'\n';
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Copies the header block (up to, not including, the empty line that ends it; at most
    /// <see cref="MaxReturnedHeader"/> octets, cut at a line end). Returns true when it ends with a line break.
    /// </summary>
    private static async Task<bool> CopyHeaderAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBuffer);
        try
        {
            var total = 0;
            var atLineStart = true;
            var pending = new MemoryStream();
            int read;
            while (total < MaxReturnedHeader && (read = await from.ReadAsync(buffer.AsMemory(0, Math.Min(CopyBuffer, MaxReturnedHeader - total)), cancellationToken)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    var b = buffer[i];
                    if (atLineStart && (b == (byte)'\n' || (b == (byte)'\r' && NextIsLf(buffer, i, read))))
                    {
                        await to.WriteAsync(pending.GetBuffer().AsMemory(0, (int)pending.Length), cancellationToken);
                        return true; // the empty line: the header ends
                    }

                    pending.WriteByte(b);
                    atLineStart = b == (byte)'\n';
                    if (atLineStart)
                    {
                        // A whole line: out it goes (nothing longer than a line is held).
                        await to.WriteAsync(pending.GetBuffer().AsMemory(0, (int)pending.Length), cancellationToken);
                        pending.SetLength(0);
                    }
                }

                total += read;
            }

            // No empty line (a message that is all header) or the limit: whole lines only.
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // A CR at the end of a read is taken as the start of CRLF: spool bytes have CRLF line ends.
    private static bool NextIsLf(byte[] buffer, int i, int read) => i + 1 >= read || buffer[i + 1] == (byte)'\n';
}
