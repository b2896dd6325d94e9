using System.Text;

namespace MailAppliance.Mime;

/// <summary>Header-block handling of <see cref="MimeParser"/>.</summary>
public sealed partial class MimeParser
{
    private void OnHeaderLine(Frame frame, long lineStart, ReadOnlySpan<byte> content, long fullLength, int terminator)
    {
        var block = frame.Headers ??= new HeaderBlockBuilder(_options);
        // RFC 5322 §2.2.3: a line starting with WSP continues the previous field.
        if (content.Length > 0 && (content[0] == (byte)' ' || content[0] == (byte)'\t') && block.HasCurrent)
        {
            block.Continue(content, fullLength);
            return;
        }

        block.Finish(lineStart, _bareLineFeeds, frame.Part);
        block.Start(lineStart, _bareLineFeeds, content, fullLength, frame.Part);
    }

    private void EndHeader(Frame frame, Position fieldsEnd, Position after, bool terminated)
    {
        var part = frame.Part;
        var block = frame.Headers;
        if (block is not null)
        {
            block.Finish(fieldsEnd.Offset, fieldsEnd.Bare, part);
            part.Headers = block.Fields;
            frame.Headers = null;
        }

        part.HeaderLength = after.Offset - part.HeaderOffset;
        part.HeaderCrlfLength = part.HeaderLength + (after.Bare - frame.HeaderBare);
        part.BodyOffset = after.Offset;
        frame.BodyLineFeeds = after.LineFeeds;
        frame.BodyBare = after.Bare;
        frame.State = FrameState.Body;
        if (!terminated)
        {
            part.Flags |= MimePartFlags.HeaderUnterminated;
        }

        ResolveContentType(part);
        if ((part.Flags & MimePartFlags.LimitExceeded) != 0)
        {
            part.ContentType = ContentType.TextPlainDefault;
            part.HasExplicitContentType = false;
            return;
        }

        var type = part.ContentType;
        if (type.IsMultipart)
        {
            if (part.Depth >= _options.MaxNestingDepth)
            {
                DegradeToText(part);
                return;
            }

            part.Kind = MimePartKind.Multipart;
            var boundary = type.Parameters.Get("boundary");
            if (string.IsNullOrEmpty(boundary))
            {
                // Like Dovecot, still a multipart (with no children found); IMAP shows one empty text/plain part.
                part.Flags |= MimePartFlags.MissingBoundary;
            }
            else
            {
                frame.Boundary = Encoding.UTF8.GetBytes(boundary);
            }

            frame.State = FrameState.Preamble;
            return;
        }

        if (type.IsEncapsulatedMessage && IsIdentityEncoding(part))
        {
            if (part.Depth >= _options.MaxNestingDepth || _partCount >= _options.MaxPartCount)
            {
                DegradeToText(part);
                return;
            }

            part.Kind = MimePartKind.Message;
            var message = new MessagePart(part, after.Offset);
            part.Message = message;
            _partCount++;
            if (terminated)
            {
                _stack.Add(new Frame(message, FrameState.Header, after.LineFeeds, after.Bare));
            }
            else
            {
                // No body at all: the embedded message is empty.
                var empty = new Frame(message, FrameState.Header, after.LineFeeds, after.Bare);
                EndHeader(empty, after, after, terminated: false);
            }
        }
    }

    private static void DegradeToText(MessagePart part)
    {
        part.Flags |= MimePartFlags.LimitExceeded;
        part.Kind = MimePartKind.Leaf;
        part.ContentType = ContentType.TextPlainDefault;
        part.HasExplicitContentType = false;
    }

    private static bool IsIdentityEncoding(MessagePart part)
    {
        // RFC 2046 §5.2.1: message/rfc822 may only be 7bit, 8bit or binary, so like Dovecot we parse it whatever
        // the field says. RFC 6532 §3.5 allows message/global to be encoded: then it stays opaque.
        if (part.ContentType.Is("message", "rfc822"))
        {
            return true;
        }

        var cte = part.ContentTransferEncoding;
        return cte is "7bit" or "8bit" or "binary";
    }

    private static void ResolveContentType(MessagePart part)
    {
        HeaderField? first = null;
        foreach (var h in part.Headers)
        {
            if (string.Equals(h.Name, "Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                if (first is null)
                {
                    first = h;
                }
                else
                {
                    part.Flags |= MimePartFlags.DuplicateContentType;
                }
            }
        }

        // RFC 2045 §5.2 / RFC 2046 §5.1.5: the default is text/plain; us-ascii, or message/rfc822 in a digest.
        var inDigest = part.Parent is { Kind: MimePartKind.Multipart } p && p.ContentType.Is("multipart", "digest");
        if (first is not null && ContentType.TryParse(first.Value, out var parsed))
        {
            part.ContentType = parsed;
            part.HasExplicitContentType = true;
        }
        else
        {
            part.ContentType = inDigest ? ContentType.MessageRfc822Default : ContentType.TextPlainDefault;
            part.HasExplicitContentType = false;
        }
    }
}
