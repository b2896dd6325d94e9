namespace MailAppliance.Mime;

/// <summary>
/// One entity of a message (RFC 2045 §2.4): the message itself, a part of a multipart, or the message embedded in a
/// message/rfc822 part. Offsets are in the raw message; every <c>Crlf*</c> figure is what the same range measures
/// when served with bare LFs turned into CRLF (IMAP terms).
/// </summary>
public sealed class MessagePart
{
    private static readonly IReadOnlyList<MessagePart> NoParts = Array.Empty<MessagePart>();
    private List<MessagePart>? _children;
    private ContentType? _contentType;

    internal MessagePart(MessagePart? parent, long headerOffset)
    {
        Parent = parent;
        Depth = parent is null ? 0 : parent.Depth + 1;
        HeaderOffset = headerOffset;
    }

    /// <summary>The enclosing part (the multipart or message/rfc822 part), null for the top-level message.</summary>
    public MessagePart? Parent { get; }

    /// <summary>Nesting depth: 0 for the top-level message.</summary>
    public int Depth { get; }

    /// <summary>How this part is interpreted.</summary>
    public MimePartKind Kind { get; internal set; }

    /// <summary>Shape anomalies noticed while parsing.</summary>
    public MimePartFlags Flags { get; internal set; }

    /// <summary>Offset of the first header byte.</summary>
    public long HeaderOffset { get; internal set; }

    /// <summary>Raw length of the header block, including the empty line that ends it.</summary>
    public long HeaderLength { get; internal set; }

    /// <summary>Header length in CRLF terms.</summary>
    public long HeaderCrlfLength { get; internal set; }

    /// <summary>Offset of the first body byte.</summary>
    public long BodyOffset { get; internal set; }

    /// <summary>Raw body length (RFC 2046 §5.1.1: the line break before a boundary belongs to the boundary).</summary>
    public long BodyLength { get; internal set; }

    /// <summary>Body length in CRLF terms.</summary>
    public long BodyCrlfLength { get; internal set; }

    /// <summary>Number of line breaks in the body (the IMAP body-fld-lines figure).</summary>
    public long BodyLines { get; internal set; }

    /// <summary>Header fields in order. After <see cref="MessageStructure.Deserialize"/> values are not available.</summary>
    public IReadOnlyList<HeaderField> Headers { get; internal set; } = Array.Empty<HeaderField>();

    /// <summary>Children of a multipart, in order.</summary>
    public IReadOnlyList<MessagePart> Children => _children ?? NoParts;

    /// <summary>The embedded message of a message/rfc822 or message/global part.</summary>
    public MessagePart? Message { get; internal set; }

    /// <summary>Raw size of header + body.</summary>
    public long Length => HeaderLength + BodyLength;

    /// <summary>Size of header + body in CRLF terms.</summary>
    public long CrlfLength => HeaderCrlfLength + BodyCrlfLength;

    /// <summary>The effective content type (defaults applied: RFC 2045 §5.2, RFC 2046 §5.1.5; text/plain on limits).</summary>
    public ContentType ContentType
    {
        get => _contentType ??= ContentType.TextPlainDefault;
        internal set => _contentType = value;
    }

    /// <summary>True when the part declared a Content-Type field (used for IMAP default spelling).</summary>
    public bool HasExplicitContentType { get; internal set; }

    /// <summary>The Content-Disposition, or null when absent or unparseable.</summary>
    public ContentDisposition? ContentDisposition => GetHeader("Content-Disposition") is { } f ? ContentDisposition.Parse(f.Value) : null;

    /// <summary>
    /// The Content-Transfer-Encoding token lower-cased; "7bit" when absent or not a single token (RFC 2045 §6.1,
    /// and Dovecot's reading).
    /// </summary>
    public string ContentTransferEncoding =>
        GetHeader("Content-Transfer-Encoding") is { } f && HeaderTokenizer.SingleToken(f.Value) is { Length: > 0 } t
            ? t.ToLowerInvariant()
            : "7bit";

    /// <summary>The attachment file name: disposition filename (RFC 2183/2231), else Content-Type name, decoded.</summary>
    public string? FileName =>
        ContentDisposition?.Parameters.Find("filename") is { } n ? Decode(n)
        : ContentType.Parameters.Find("name") is { } m ? Decode(m)
        : null;

    /// <summary>The first header field with this name (case-insensitive), or null.</summary>
    public HeaderField? GetHeader(string name)
    {
        foreach (var h in Headers)
        {
            if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return h;
            }
        }

        return null;
    }

    /// <summary>Every header field with this name, in order.</summary>
    public IEnumerable<HeaderField> GetHeaders(string name) =>
        Headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Decoded value of the first field with this name (encoded-words decoded), or null.</summary>
    public string? GetDecodedValue(string name) => GetHeader(name)?.DecodedValue;

    /// <summary>This part and every part below it, depth first, including embedded messages.</summary>
    public IEnumerable<MessagePart> Descendants()
    {
        var stack = new Stack<MessagePart>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var p = stack.Pop();
            yield return p;
            if (p.Message is { } m)
            {
                stack.Push(m);
            }

            for (var i = p.Children.Count - 1; i >= 0; i--)
            {
                stack.Push(p.Children[i]);
            }
        }
    }

    // RFC 2231 values are already decoded; plain ones often carry RFC 2047 words (invalid, but common).
    private static string Decode(MimeParameter p) => p.Charset is null ? EncodedWords.DecodeUnstructured(p.Value) : p.Value;

    internal void AddChild(MessagePart child) => (_children ??= new List<MessagePart>()).Add(child);

    /// <inheritdoc />
    public override string ToString() => $"{ContentType.MediaType}/{ContentType.SubType} header {HeaderOffset}+{HeaderLength} body {BodyOffset}+{BodyLength}";
}
