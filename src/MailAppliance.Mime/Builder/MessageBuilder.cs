using System.Globalization;

namespace MailAppliance.Mime.Builder;

/// <summary>
/// Builds messages we generate (bounces, vacation replies, reports): RFC 5322 headers with RFC 2047 encoding where
/// needed (or raw UTF-8 with <see cref="Utf8Headers"/>, RFC 6532), a MIME body, CRLF everywhere, no line over 998
/// octets, and boundaries that depend only on <see cref="BoundarySeed"/> and the part's position.
/// </summary>
public sealed class MessageBuilder
{
    private readonly List<KeyValuePair<string, string>> _headers = new();
    private MimeEntity _body = MimeEntity.Text(string.Empty);

    /// <summary>Seed of the stable boundaries (e.g. the Message-ID); same seed, same bytes.</summary>
    public string BoundarySeed { get; set; } = "mailappliance";

    /// <summary>Write UTF-8 header text unencoded (only for SMTPUTF8 transactions, RFC 6531/6532).</summary>
    public bool Utf8Headers { get; set; }

    /// <summary>Sets From.</summary>
    public MessageBuilder From(params MailboxAddress[] from) => Set("From", HeaderEncoder.AddressList(from, Utf8Headers));

    /// <summary>Sets Sender.</summary>
    public MessageBuilder Sender(MailboxAddress sender) => Set("Sender", HeaderEncoder.Mailbox(sender, Utf8Headers));

    /// <summary>Sets To.</summary>
    public MessageBuilder To(params Address[] to) => Set("To", HeaderEncoder.AddressList(to, Utf8Headers));

    /// <summary>Sets Cc.</summary>
    public MessageBuilder Cc(params Address[] cc) => Set("Cc", HeaderEncoder.AddressList(cc, Utf8Headers));

    /// <summary>Sets Reply-To.</summary>
    public MessageBuilder ReplyTo(params Address[] replyTo) => Set("Reply-To", HeaderEncoder.AddressList(replyTo, Utf8Headers));

    /// <summary>Sets Subject (encoded-words when needed).</summary>
    public MessageBuilder Subject(string subject) => Set("Subject", HeaderEncoder.Unstructured(subject, Utf8Headers));

    /// <summary>Sets Date in RFC 5322 §3.3 form.</summary>
    public MessageBuilder Date(DateTimeOffset date) => Set("Date", FormatDate(date));

    /// <summary>Sets Message-ID (give it without angle brackets).</summary>
    public MessageBuilder MessageId(string id) => Set("Message-ID", "<" + id + ">");

    /// <summary>Sets In-Reply-To (ids without angle brackets).</summary>
    public MessageBuilder InReplyTo(string id) => Set("In-Reply-To", "<" + id + ">");

    /// <summary>Sets References (ids without angle brackets).</summary>
    public MessageBuilder References(IEnumerable<string> ids) => Set("References", string.Join(' ', ids.Select(i => "<" + i + ">")));

    /// <summary>Adds an unstructured header field (encoded-words applied when needed).</summary>
    public MessageBuilder Header(string name, string value)
    {
        _headers.Add(new KeyValuePair<string, string>(name, HeaderEncoder.Unstructured(value, Utf8Headers)));
        return this;
    }

    /// <summary>Sets the body (a single part or a multipart).</summary>
    public MessageBuilder Body(MimeEntity body)
    {
        _body = body;
        return this;
    }

    /// <summary>Writes the message.</summary>
    public void WriteTo(Stream output)
    {
        var w = new MimeWriter(output, BoundarySeed, Utf8Headers);
        foreach (var h in _headers)
        {
            w.Field(h.Key, h.Value);
        }

        w.Field("MIME-Version", "1.0");
        _body.Write(w, string.Empty);
        w.Raw("\r\n");
    }

    /// <summary>The message bytes.</summary>
    public byte[] ToArray()
    {
        using var ms = new MemoryStream();
        WriteTo(ms);
        return ms.ToArray();
    }

    /// <summary>RFC 5322 §3.3 date-time, e.g. "Sun, 22 Nov 2026 09:00:00 +0000".</summary>
    public static string FormatDate(DateTimeOffset date)
    {
        var offset = date.Offset;
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        offset = offset.Duration();
        return date.ToString("ddd, d MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + sign + offset.Hours.ToString("00", CultureInfo.InvariantCulture) + offset.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }

    private MessageBuilder Set(string name, string value)
    {
        _headers.RemoveAll(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
        _headers.Add(new KeyValuePair<string, string>(name, value));
        return this;
    }
}
