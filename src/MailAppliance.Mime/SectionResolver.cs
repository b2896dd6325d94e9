namespace MailAppliance.Mime;

/// <summary>Resolves IMAP sections (RFC 3501 §6.4.5) to raw byte ranges of a parsed (or deserialized) message.</summary>
public static class SectionResolver
{
    /// <summary>
    /// Resolves <paramref name="spec"/>; null when the section does not exist (a part number out of range, or
    /// HEADER/TEXT on a part that is not message/rfc822). IMAP servers answer such sections with an empty string.
    /// </summary>
    public static SectionContent? Resolve(this MessageStructure structure, SectionSpec spec)
    {
        var root = structure.Root;
        var target = root;
        MessagePart? context = root; // the message or multipart whose parts the next number selects
        foreach (var n in spec.Parts)
        {
            MessagePart? selected = context switch
            {
                null => null,
                { Kind: MimePartKind.Multipart } mp => n <= mp.Children.Count ? mp.Children[n - 1] : null,
                // RFC 3501 §6.4.5: a non-multipart message has one part, numbered 1: its body.
                _ => n == 1 ? context : null,
            };
            if (selected is null)
            {
                return null;
            }

            target = selected;
            context = selected switch
            {
                { Kind: MimePartKind.Message, Message: { } m } when IsImapMessage(selected) => m,
                { Kind: MimePartKind.Multipart } => selected,
                _ => null,
            };
        }

        var message = spec.Parts.Count == 0 ? root : IsImapMessage(target) ? target.Message : null;
        switch (spec.Text)
        {
            case SectionText.None:
                return spec.Parts.Count == 0
                    ? One(root.HeaderOffset, root.Length, root.CrlfLength)
                    : One(target.BodyOffset, target.BodyLength, target.BodyCrlfLength);
            case SectionText.Mime:
                return One(target.HeaderOffset, target.HeaderLength, target.HeaderCrlfLength);
            case SectionText.Header:
                return message is null ? null : One(message.HeaderOffset, message.HeaderLength, message.HeaderCrlfLength);
            case SectionText.Text:
                return message is null ? null : One(message.BodyOffset, message.BodyLength, message.BodyCrlfLength);
            default:
                return message is null ? null : Fields(message, spec.Fields, spec.Text == SectionText.HeaderFieldsNot, ReferenceEquals(message, root), structure.Length);
        }
    }

    /// <summary>
    /// message/rfc822 is numbered into (RFC 3501 §6.4.5). message/global is parsed (for search) but, like Dovecot
    /// and RFC 3501 clients expect, shown and numbered as a single part, so sections agree with BODYSTRUCTURE.
    /// </summary>
    public static bool IsImapMessage(MessagePart part) =>
        part.Kind == MimePartKind.Message && part.Message is not null && part.ContentType.Is("message", "rfc822");

    private static SectionContent One(long offset, long length, long crlf) => new(new[] { new ByteRange(offset, length, crlf) }, false);

    private static SectionContent Fields(MessagePart message, IReadOnlyList<string> names, bool not, bool isRoot, long messageLength)
    {
        var ranges = new List<ByteRange>();
        foreach (var h in message.Headers)
        {
            var match = false;
            foreach (var n in names)
            {
                if (string.Equals(n, h.Name, StringComparison.OrdinalIgnoreCase))
                {
                    match = true;
                    break;
                }
            }

            if (match == not || h.Length == 0)
            {
                continue;
            }

            // Adjacent fields coalesce into one range.
            if (ranges.Count > 0 && ranges[^1].Offset + ranges[^1].Length == h.Offset)
            {
                var last = ranges[^1];
                ranges[^1] = new ByteRange(last.Offset, last.Length + h.Length, last.CrlfLength + h.CrlfLength);
            }
            else
            {
                ranges.Add(new ByteRange(h.Offset, h.Length, h.CrlfLength));
            }
        }

        // Dovecot ends the result with an empty line when the header had one. Without one, HEADER.FIELDS.NOT never
        // gets it; HEADER.FIELDS gets it for the top-level message and for an embedded message cut by a
        // delimiter, not for an embedded message that runs to the end of the data.
        var terminated = (message.Flags & MimePartFlags.HeaderUnterminated) == 0;
        var atEnd = message.BodyOffset >= messageLength;
        return new SectionContent(ranges, terminated || (!not && (isRoot || !atEnd)));
    }
}
