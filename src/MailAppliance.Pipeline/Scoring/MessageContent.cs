using System.Text;
using MailAppliance.Mime;

namespace MailAppliance.Pipeline.Scoring;

/// <summary>
/// What the checks look at, taken from a message file: the top-level header, the text a reader sees (plain parts as
/// they are, HTML reduced to text), the text parts decoded but not rendered (rawbody), links and URIs, and facts
/// about the MIME structure. Text is read part by part through <see cref="MimeParser"/> offsets and capped at
/// <c>Spam:MaxScanSize</c> in all; the message itself is never held in memory.
/// </summary>
public sealed class MessageContent
{
    private MessageContent(MessageStructure structure)
    {
        Structure = structure;
    }

    public MessageStructure Structure { get; }

    public IReadOnlyList<HeaderField> Headers => Structure.Root.Headers;

    /// <summary>Subject, decoded.</summary>
    public string Subject { get; private set; } = "";

    /// <summary>Rendered text of every text part (HTML reduced), parts separated by a blank line.</summary>
    public string BodyText { get; private set; } = "";

    /// <summary>Text parts transfer- and charset-decoded, HTML left as written.</summary>
    public string RawBodyText { get; private set; } = "";

    /// <summary>Every URI in text and links, in order of appearance (at most 1,000).</summary>
    public IReadOnlyList<string> Uris { get; private set; } = [];

    public IReadOnlyList<HtmlLink> Links { get; private set; } = [];

    /// <summary>The text was cut at the scan size: only its first part was scored.</summary>
    public bool Truncated { get; private set; }

    public int TextPartCount { get; private set; }

    public int HtmlPartCount { get; private set; }

    /// <summary>Text parts (not attachments) sent in base64 where nothing required it.</summary>
    public int Base64TextPartCount { get; private set; }

    /// <summary>Base64 text parts whose decoded text is plain ASCII: nothing needed the encoding but disguise.</summary>
    public int Base64AsciiTextPartCount { get; private set; }

    public int AttachmentCount { get; private set; }

    /// <summary>Total octets of the message.</summary>
    public long Length => Structure.Length;

    /// <summary>Reads <paramref name="message"/> (seekable, positioned anywhere) and decodes its text parts up to <paramref name="maxScanSize"/> characters.</summary>
    public static MessageContent Read(Stream message, long maxScanSize)
    {
        message.Seek(0, SeekOrigin.Begin);
        var structure = MimeParser.Parse(message);
        var content = new MessageContent(structure) { Subject = structure.Root.GetDecodedValue("Subject")?.Trim() ?? "" };
        var body = new StringBuilder();
        var raw = new StringBuilder();
        var links = new List<HtmlLink>();
        var uris = new List<string>();
        var budget = maxScanSize;
        foreach (var part in structure.Root.Descendants())
        {
            if (part.Kind != MimePartKind.Leaf)
            {
                continue;
            }

            if (part.FileName is not null || part.ContentDisposition?.IsAttachment == true || !part.ContentType.IsText)
            {
                content.AttachmentCount += part.ContentType.IsText && part.FileName is null ? 0 : 1;
                if (!part.ContentType.IsText)
                {
                    continue;
                }
            }

            content.TextPartCount++;
            if (part.ContentTransferEncoding == "base64")
            {
                content.Base64TextPartCount++;
            }

            var isHtml = part.ContentType.SubType.Equals("html", StringComparison.OrdinalIgnoreCase);
            content.HtmlPartCount += isHtml ? 1 : 0;
            if (budget <= 0)
            {
                content.Truncated = true;
                continue;
            }

            // Decoded bytes are at most the raw body (base64 and QP only shrink), so this bounds the read.
            var want = (int)Math.Min(budget, int.MaxValue - 64);
            if (part.BodyLength > budget)
            {
                content.Truncated = true;
            }

            var text = part.ReadText(message, want);
            if (part.ContentTransferEncoding == "base64" && text.Length > 0 && text.All(ch => ch < 128))
            {
                content.Base64AsciiTextPartCount++;
            }

            budget -= text.Length;
            raw.Append(text).Append("\n\n");
            if (isHtml)
            {
                var html = HtmlText.Reduce(text);
                body.Append(html.Text).Append("\n\n");
                links.AddRange(html.Links);
                uris.AddRange(html.Links.Select(l => l.Href));
                uris.AddRange(html.Images);
                uris.AddRange(UriExtractor.FromText(html.Text));
            }
            else
            {
                body.Append(text).Append("\n\n");
                uris.AddRange(UriExtractor.FromText(text));
            }
        }

        content.BodyText = body.ToString();
        content.RawBodyText = raw.ToString();
        content.Links = links;
        content.Uris = uris.Where(u => u.Length > 0).Distinct(StringComparer.Ordinal).Take(1000).ToList();
        return content;
    }

    /// <summary>The values of every field named <paramref name="name"/>, unfolded and decoded.</summary>
    public IEnumerable<string> HeaderValues(string name) => Structure.Root.GetHeaders(name).Select(h => h.DecodedValue);

    /// <summary>The first From mailbox's address (local@domain), or null.</summary>
    public string? FromAddress =>
        Structure.Root.GetHeader("From") is { } from && AddressParser.ParseMailboxes(from.Value) is [{ LocalPart: not null, Domain: not null } m, ..]
            ? m.AddrSpec
            : null;
}
