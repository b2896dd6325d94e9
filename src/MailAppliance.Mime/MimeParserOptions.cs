namespace MailAppliance.Mime;

/// <summary>
/// Limits applied while parsing. Exceeding a limit never raises an error and never drops bytes: the affected part
/// is flagged with <see cref="MimePartFlags.LimitExceeded"/> and treated as <c>text/plain</c> (its raw bytes stay
/// addressable through the recorded offsets). See docs/mime.md.
/// </summary>
public sealed record MimeParserOptions
{
    /// <summary>Default options.</summary>
    public static MimeParserOptions Default { get; } = new();

    /// <summary>Deepest nesting of multipart / message parts interpreted; deeper parts become text/plain.</summary>
    public int MaxNestingDepth { get; init; } = 100;

    /// <summary>Most parts interpreted in one message; later multipart/message parts become text/plain leaves.</summary>
    public int MaxPartCount { get; init; } = 10_000;

    /// <summary>Most header fields retained per part; beyond it the part is text/plain and fields are not retained.</summary>
    public int MaxHeaderCount { get; init; } = 5_000;

    /// <summary>Most header bytes retained per part (sum of retained field values); beyond it as for the count.</summary>
    public int MaxHeaderBlockSize { get; init; } = 1024 * 1024;

    /// <summary>Most bytes of one field's value retained; the rest is cut (the field is flagged, offsets stay whole).</summary>
    public int MaxHeaderFieldLength { get; init; } = 64 * 1024;
}
