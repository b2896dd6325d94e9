namespace MailAppliance.Mime;

/// <summary>A parsed Content-Type (RFC 2045 §5.1). Type and subtype keep the case written (IMAP shows them so).</summary>
public sealed class ContentType
{
    /// <summary>Creates a content type.</summary>
    public ContentType(string mediaType, string subType, ParameterList? parameters = null)
    {
        MediaType = mediaType;
        SubType = subType;
        Parameters = parameters ?? ParameterList.Empty;
    }

    /// <summary>RFC 2045 §5.2: the default, text/plain; charset=us-ascii.</summary>
    public static ContentType TextPlainDefault { get; } = new("text", "plain", new ParameterList(
        new[] { new KeyValuePair<string, string>("charset", "us-ascii") }, new[] { new MimeParameter("charset", "us-ascii") }));

    /// <summary>RFC 2046 §5.1.5: the default inside multipart/digest.</summary>
    public static ContentType MessageRfc822Default { get; } = new("message", "rfc822");

    /// <summary>Top-level media type as written, e.g. "text".</summary>
    public string MediaType { get; }

    /// <summary>Subtype as written, e.g. "plain".</summary>
    public string SubType { get; }

    /// <summary>The parameters.</summary>
    public ParameterList Parameters { get; }

    /// <summary>The charset parameter, or null.</summary>
    public string? Charset => Parameters.Get("charset");

    /// <summary>Is this multipart/*?</summary>
    public bool IsMultipart => MediaType.Equals("multipart", StringComparison.OrdinalIgnoreCase);

    /// <summary>Is this text/*?</summary>
    public bool IsText => MediaType.Equals("text", StringComparison.OrdinalIgnoreCase);

    /// <summary>message/rfc822 or message/global (RFC 6532 §3.7): a message whose body is parsed as a message.</summary>
    public bool IsEncapsulatedMessage => MediaType.Equals("message", StringComparison.OrdinalIgnoreCase)
        && (SubType.Equals("rfc822", StringComparison.OrdinalIgnoreCase) || SubType.Equals("global", StringComparison.OrdinalIgnoreCase));

    /// <summary>Case-insensitive comparison of type and subtype.</summary>
    public bool Is(string mediaType, string subType) =>
        MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase) && SubType.Equals(subType, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses a Content-Type value. RFC 2045 §5.2: a syntactically invalid value means the default applies, so
    /// this returns false (the caller uses text/plain) rather than guessing.
    /// </summary>
    public static bool TryParse(string value, out ContentType contentType)
    {
        var t = new HeaderTokenizer(value);
        t.SkipCfws();
        var type = t.ReadToken(TokenKind.Mime);
        t.SkipCfws();
        if (type.Length == 0 || t.Peek != '/')
        {
            contentType = TextPlainDefault;
            return false;
        }

        t.Position++;
        t.SkipCfws();
        var sub = t.ReadToken(TokenKind.Mime);
        if (sub.Length == 0)
        {
            contentType = TextPlainDefault;
            return false;
        }

        contentType = new ContentType(type, sub, ParameterList.Parse(ref t));
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => MediaType + "/" + SubType;
}
