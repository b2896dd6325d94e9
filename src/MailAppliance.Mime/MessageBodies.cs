namespace MailAppliance.Mime;

/// <summary>Reading part bodies from the raw message file: raw, transfer-decoded, or as text for search and scoring.</summary>
public static class MessageBodies
{
    /// <summary>Default cap on decoded bytes read for <see cref="ReadText"/>.</summary>
    public const int DefaultMaxTextBytes = 1024 * 1024;

    /// <summary>Opens the raw body of <paramref name="part"/> from a seekable message file (no copy).</summary>
    public static Stream OpenRawBody(this MessagePart part, Stream messageFile)
    {
        messageFile.Seek(part.BodyOffset, SeekOrigin.Begin);
        return new BoundedReadStream(messageFile, part.BodyLength);
    }

    /// <summary>Opens the body with its Content-Transfer-Encoding decoded (base64, quoted-printable, identity).</summary>
    public static Stream OpenDecodedBody(this MessagePart part, Stream messageFile) =>
        new TransferDecodingStream(part.OpenRawBody(messageFile), part.ContentTransferEncoding);

    /// <summary>
    /// The body as text: transfer-decoded, then decoded with the part's charset (unknown or us-ascii with 8-bit
    /// bytes: UTF-8 if valid, else windows-1252). At most <paramref name="maxBytes"/> decoded bytes are read.
    /// </summary>
    public static string ReadText(this MessagePart part, Stream messageFile, int maxBytes = DefaultMaxTextBytes)
    {
        using var decoded = part.OpenDecodedBody(messageFile);
        var buffer = new byte[Math.Min(maxBytes, (int)Math.Min(int.MaxValue, Math.Max(part.BodyLength, 0)) + 16)];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = decoded.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += n;
        }

        return Charsets.Decode(buffer.AsSpan(0, total), part.ContentType.Charset);
    }

    /// <summary>
    /// Leaf text parts worth indexing (text/* that are not attachments), in order, including those of embedded
    /// messages.
    /// </summary>
    public static IEnumerable<MessagePart> TextParts(this MessageStructure structure) =>
        structure.Root.Descendants().Where(p => p.Kind == MimePartKind.Leaf && p.ContentType.IsText
            && p.ContentDisposition?.IsAttachment != true);

    /// <summary>Leaf parts that carry a file name or an attachment disposition.</summary>
    public static IEnumerable<MessagePart> Attachments(this MessageStructure structure) =>
        structure.Root.Descendants().Where(p => p.Kind == MimePartKind.Leaf && (p.FileName is not null || p.ContentDisposition?.IsAttachment == true));

    /// <summary>Decodes bytes already in memory with a part's transfer encoding (helper for small bodies).</summary>
    public static byte[] Decode(ReadOnlySpan<byte> raw, string? transferEncoding)
    {
        using var input = new MemoryStream(raw.ToArray());
        using var decoder = new TransferDecodingStream(input, transferEncoding);
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Decodes a whole in-memory message part's text (helper for tests and small messages).</summary>
    public static string ReadText(this MessagePart part, byte[] rawMessage, int maxBytes = DefaultMaxTextBytes)
    {
        using var ms = new MemoryStream(rawMessage, writable: false);
        return part.ReadText(ms, maxBytes);
    }
}
