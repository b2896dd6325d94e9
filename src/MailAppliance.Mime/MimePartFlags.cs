namespace MailAppliance.Mime;

/// <summary>What the parser noticed about a part's shape; all of these are tolerated, none is an error.</summary>
[Flags]
public enum MimePartFlags
{
    /// <summary>Nothing unusual.</summary>
    None = 0,

    /// <summary>
    /// A configured limit was exceeded: the part is treated as text/plain; on a multipart that reached
    /// <see cref="MimeParserOptions.MaxPartCount"/>, its remaining bytes stay in its last part instead.
    /// </summary>
    LimitExceeded = 1,

    /// <summary>The header block ended without an empty line (end of data or a boundary came first).</summary>
    HeaderUnterminated = 2,

    /// <summary>A multipart ended without its close delimiter.</summary>
    MissingCloseDelimiter = 4,

    /// <summary>A multipart declared no boundary parameter: treated as text/plain.</summary>
    MissingBoundary = 8,

    /// <summary>At least one header field value was longer than the retained limit and was cut.</summary>
    HeaderTruncated = 16,

    /// <summary>More than one Content-Type field: the first one wins.</summary>
    DuplicateContentType = 32,

    /// <summary>A header line had no colon.</summary>
    MalformedHeaderLine = 64,
}
