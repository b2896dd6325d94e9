using System.Globalization;
using System.Text;

namespace MailAppliance.Storage.Spool;

/// <summary>
/// The spool file: a small text header (one <c>Name: value</c> per line, UTF-8, values never contain CR or LF), an
/// empty line, the message bytes exactly as received, then (version 2) the verdict as a trailer and a fixed-size
/// footer that says how long the trailer is. The verdict is only known once the whole message has been read and
/// checked, so it goes after the message rather than in the header, and the message is still written as it arrives.
/// Version 1 files (no DSN parameters, no trailer) are still read.
/// </summary>
public static class SpoolFormat
{
    public const string Magic = "MailAppliance-Spool: 2";
    private const string MagicV1 = "MailAppliance-Spool: 1";
    private const string TrailerMagic = "MailAppliance-Verdict: 1";
    private const int MaxHeaderBytes = 1024 * 1024;
    private const int MaxTrailerBytes = 4 * 1024 * 1024;

    // "\nMailAppliance-Trailer: 0000000123\n": a line the reader finds at a fixed distance from the end.
    private const string FooterPrefix = "\nMailAppliance-Trailer: ";
    private const int FooterDigits = 10;
    public const int FooterLength = 1 + 23 + FooterDigits + 1;

    public static byte[] Header(SpoolEnvelope envelope)
    {
        var sb = new StringBuilder().Append(Magic).Append('\n');
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                sb.Append(name).Append(": ").Append(Clean(value)).Append('\n');
            }
        }

        Add("Queue-Id", envelope.QueueId);
        Add("Received-At", envelope.ReceivedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        Add("Mail-From", envelope.MailFrom);
        foreach (var recipient in envelope.Recipients)
        {
            // Tab-separated parameters: an SMTP address never holds a tab (RFC 5321 qtextSMTP), nor does xtext.
            var line = new StringBuilder(Clean(recipient.Address));
            if (recipient.Notify is not null)
            {
                line.Append("\tNOTIFY=").Append(Clean(recipient.Notify));
            }

            if (recipient.OriginalRecipient is not null)
            {
                line.Append("\tORCPT=").Append(Clean(recipient.OriginalRecipient));
            }

            Add("Rcpt-To", line.ToString());
        }

        Add("Client", envelope.ClientAddress);
        Add("Helo", envelope.Helo);
        Add("Tls", envelope.Tls);
        Add("Auth", envelope.AuthenticatedUser);
        Add("SmtpUtf8", envelope.SmtpUtf8 ? "yes" : null);
        Add("Body", envelope.Body);
        Add("Ret", envelope.Ret);
        Add("Envid", envelope.EnvelopeId);
        Add("RequireTls", envelope.RequireTls ? "yes" : null);
        return Encoding.UTF8.GetBytes(sb.Append('\n').ToString());
    }

    /// <summary>The verdict trailer and the footer that closes the file.</summary>
    public static byte[] Trailer(SpoolVerdict verdict)
    {
        var sb = new StringBuilder().Append(TrailerMagic).Append('\n');
        if (verdict.Score is { } score)
        {
            sb.Append("Score: ").Append(score.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        foreach (var symbol in verdict.Symbols)
        {
            sb.Append("Symbol: ").Append(Clean(symbol.Name).Replace(' ', '_')).Append(' ').Append(symbol.Score.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        foreach (var header in verdict.Headers)
        {
            sb.Append("Add-Header: ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(header))).Append('\n');
        }

        if (verdict.HeadersAt > 0)
        {
            sb.Append("Headers-At: ").Append(verdict.HeadersAt.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        foreach (var range in verdict.Removed)
        {
            sb.Append("Remove: ").Append(range.Offset.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(range.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        foreach (var r in verdict.Recipients)
        {
            sb.Append("Recipient: ").Append(Base64(r.Recipient))
                .Append(' ').Append(r.Score.ToString("R", CultureInfo.InvariantCulture))
                .Append(' ').Append(r.Junk ? '1' : '0')
                .Append(' ').Append(r.DiscardForwardThreshold is { } d ? d.ToString("R", CultureInfo.InvariantCulture) : "-")
                .Append(' ').Append(r.Headers.Count == 0 ? "-" : string.Join(',', r.Headers.Select(Base64)))
                .Append('\n');
        }

        var trailer = Encoding.UTF8.GetBytes(sb.ToString());
        var footer = Encoding.ASCII.GetBytes(FooterPrefix + trailer.Length.ToString("D" + FooterDigits, CultureInfo.InvariantCulture) + "\n");
        return [.. trailer, .. footer];
    }

    /// <summary>Reads the header of a spool file; the stream is left at the first byte of the message.</summary>
    public static SpoolEnvelope? ReadHeader(Stream stream) => ReadHeader(stream, out _);

    /// <summary>Reads the header; <paramref name="version"/> says whether a trailer follows the message (2) or not (1).</summary>
    public static SpoolEnvelope? ReadHeader(Stream stream, out int version)
    {
        version = 0;
        var fields = new List<(string Name, string Value)>();
        var line = new List<byte>();
        var total = 0;
        var first = true;
        while (true)
        {
            var b = stream.ReadByte();
            if (b < 0 || ++total > MaxHeaderBytes)
            {
                return null;
            }

            if (b != '\n')
            {
                line.Add((byte)b);
                continue;
            }

            var text = Encoding.UTF8.GetString(line.ToArray());
            line.Clear();
            if (first)
            {
                version = text switch { Magic => 2, MagicV1 => 1, _ => 0 };
                if (version == 0)
                {
                    return null;
                }

                first = false;
                continue;
            }

            if (text.Length == 0)
            {
                break;
            }

            var colon = text.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }

            fields.Add((text[..colon], text[(colon + 2)..]));
        }

        string? One(string name) => fields.LastOrDefault(f => f.Name == name).Value;
        if (One("Queue-Id") is not { } queueId || One("Received-At") is not { } received || One("Mail-From") is not { } from
            || !DateTimeOffset.TryParse(received, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var receivedAt))
        {
            return null;
        }

        return new SpoolEnvelope
        {
            QueueId = queueId,
            ReceivedAt = receivedAt,
            MailFrom = from,
            Recipients = fields.Where(f => f.Name == "Rcpt-To").Select(f => ParseRecipient(f.Value)).ToList(),
            ClientAddress = One("Client"),
            Helo = One("Helo"),
            Tls = One("Tls"),
            AuthenticatedUser = One("Auth"),
            SmtpUtf8 = One("SmtpUtf8") == "yes",
            Body = One("Body") ?? "7BIT",
            Ret = One("Ret"),
            EnvelopeId = One("Envid"),
            RequireTls = One("RequireTls") == "yes",
        };
    }

    private static SpoolRecipient ParseRecipient(string value)
    {
        var parts = value.Split('\t');
        string? Parameter(string name) => parts.Skip(1).FirstOrDefault(p => p.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];
        return new SpoolRecipient(parts[0], Parameter("NOTIFY"), Parameter("ORCPT"));
    }

    /// <summary>
    /// Where the message ends in a version 2 file of <paramref name="fileLength"/> octets, and its verdict; null when
    /// the footer or trailer is damaged (the file is then not read as a message).
    /// </summary>
    public static (long MessageEnd, SpoolVerdict Verdict)? ReadTrailer(Stream stream, long messageStart, long fileLength)
    {
        if (fileLength - messageStart < FooterLength)
        {
            return null;
        }

        var footer = new byte[FooterLength];
        stream.Position = fileLength - FooterLength;
        stream.ReadExactly(footer);
        var footerText = Encoding.ASCII.GetString(footer);
        if (!footerText.StartsWith(FooterPrefix, StringComparison.Ordinal) || footerText[^1] != '\n'
            || !int.TryParse(footerText.AsSpan(FooterPrefix.Length, FooterDigits), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            || length > MaxTrailerBytes || fileLength - FooterLength - length < messageStart)
        {
            return null;
        }

        var trailer = new byte[length];
        var messageEnd = fileLength - FooterLength - length;
        stream.Position = messageEnd;
        stream.ReadExactly(trailer);
        var lines = Encoding.UTF8.GetString(trailer).Split('\n');
        if (lines[0] != TrailerMagic)
        {
            return null;
        }

        double? score = null;
        long headersAt = 0;
        var removed = new List<MessageRange>();
        var recipients = new List<RecipientVerdict>();
        var symbols = new List<VerdictSymbol>();
        var headers = new List<string>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }

            var value = line[(colon + 2)..];
            switch (line[..colon])
            {
                case "Score" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s):
                    score = s;
                    break;
                case "Symbol" when value.LastIndexOf(' ') is > 0 and var space
                    && double.TryParse(value.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var symbolScore):
                    symbols.Add(new VerdictSymbol(value[..space], symbolScore));
                    break;
                case "Add-Header" when TryBase64(value) is { } bytes:
                    headers.Add(Encoding.UTF8.GetString(bytes));
                    break;
                case "Headers-At" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var at) && at <= messageEnd - messageStart:
                    headersAt = at;
                    break;
                case "Remove" when value.Split(' ') is [var o, var l]
                    && long.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                    && long.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var removedLength)
                    && offset + removedLength <= messageEnd - messageStart:
                    removed.Add(new MessageRange(offset, removedLength));
                    break;
                case "Recipient" when TryRecipient(value) is { } recipient:
                    recipients.Add(recipient);
                    break;
                case "Headers-At" or "Remove" or "Recipient":
                    return null; // damaged: never delivered with a wrong verdict
                default:
                    break; // a field of a later version: ignored
            }
        }

        return (messageEnd, new SpoolVerdict { Score = score, Symbols = symbols, Headers = headers, HeadersAt = headersAt, Removed = removed, Recipients = recipients });
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static RecipientVerdict? TryRecipient(string value)
    {
        if (value.Split(' ') is not [var address, var scoreText, var junk, var discardText, var headerList]
            || TryBase64(address) is not { } addressBytes
            || !double.TryParse(scoreText, NumberStyles.Float, CultureInfo.InvariantCulture, out var score)
            || junk is not ("0" or "1"))
        {
            return null;
        }

        double? discard = null;
        if (discardText != "-")
        {
            if (!double.TryParse(discardText, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            {
                return null;
            }

            discard = d;
        }

        var headers = new List<string>();
        if (headerList != "-")
        {
            foreach (var item in headerList.Split(','))
            {
                if (TryBase64(item) is not { } bytes)
                {
                    return null;
                }

                headers.Add(Encoding.UTF8.GetString(bytes));
            }
        }

        return new RecipientVerdict(Encoding.UTF8.GetString(addressBytes), score, junk == "1", discard, headers);
    }

    private static byte[]? TryBase64(string value)
    {
        var bytes = new byte[value.Length];
        return Convert.TryFromBase64String(value, bytes, out var written) ? bytes[..written] : null;
    }

    private static string Clean(string value) => value.Replace('\r', ' ').Replace('\n', ' ');
}
