namespace MailAppliance.Mime;

/// <summary>
/// The parsed structure of one raw message: the part tree with offsets, and the whole message's raw and CRLF sizes
/// (RFC822.SIZE is <see cref="CrlfLength"/>).
/// </summary>
public sealed partial class MessageStructure
{
    internal MessageStructure(MessagePart root, long length, long crlfLength)
    {
        Root = root;
        Length = length;
        CrlfLength = crlfLength;
    }

    /// <summary>The top-level message.</summary>
    public MessagePart Root { get; }

    /// <summary>Raw size of the message in bytes.</summary>
    public long Length { get; }

    /// <summary>Size with every bare LF counted as CRLF: the IMAP RFC822.SIZE.</summary>
    public long CrlfLength { get; }

    /// <summary>True when header values are available (false after <see cref="Deserialize"/>).</summary>
    public bool HasHeaderValues { get; internal init; } = true;
}
