using System.Globalization;
using System.Text;

namespace MailAppliance.Mime.Imap;

/// <summary>
/// The IMAP ENVELOPE, BODY and BODYSTRUCTURE of a parsed message (RFC 3501 §7.4.2, RFC 9051 §7.5.2), byte for byte
/// in Dovecot's style so cached strings can be sent as they are. Output is raw IMAP syntax (bytes: header text may
/// be 8-bit); sizes and line counts are in CRLF terms. Requires header values (not a deserialized structure).
/// </summary>
public static class ImapViews
{
    /// <summary>The ENVELOPE of the message.</summary>
    public static byte[] Envelope(MessageStructure structure, bool utf8Accept = false)
    {
        RequireValues(structure);
        var w = new ImapStringWriter(utf8Accept);
        WriteEnvelope(w, structure.Root);
        return w.ToArray();
    }

    /// <summary>BODYSTRUCTURE (with extension data).</summary>
    public static byte[] BodyStructure(MessageStructure structure, bool utf8Accept = false)
    {
        RequireValues(structure);
        var w = new ImapStringWriter(utf8Accept);
        WritePart(w, structure.Root, extended: true);
        return w.ToArray();
    }

    /// <summary>BODY (no extension data).</summary>
    public static byte[] Body(MessageStructure structure, bool utf8Accept = false)
    {
        RequireValues(structure);
        var w = new ImapStringWriter(utf8Accept);
        WritePart(w, structure.Root, extended: false);
        return w.ToArray();
    }

    /// <summary>Convenience: bytes as a Latin-1 string (one char per byte), e.g. for logging or comparisons.</summary>
    public static string AsText(byte[] imap) => Encoding.Latin1.GetString(imap);

    private static void RequireValues(MessageStructure structure)
    {
        // A deserialized structure has no header values: its views would be silently wrong. Cache the views
        // at parse time instead (see docs/mime.md).
        if (!structure.HasHeaderValues)
        {
            throw new InvalidOperationException("IMAP views need a parsed structure; a deserialized one has no header values.");
        }
    }

    private static void WriteEnvelope(ImapStringWriter w, MessagePart message)
    {
        w.Raw("(");
        w.NString(NoLf(Last(message, "Date")), Last(message, "Date") is null);
        w.Raw(" ");
        var subject = Last(message, "Subject");
        if (subject is null)
        {
            w.Nil();
        }
        else
        {
            w.HumanString(TrimLead(subject.RawValue));
        }

        var from = Addresses(message, "From");
        w.Raw(" ");
        WriteAddresses(w, from);
        w.Raw(" ");
        // RFC 3501 §7.4.2: sender and reply-to default to from (also when present but empty, as Dovecot does).
        WriteAddresses(w, Addresses(message, "Sender") is { Count: > 0 } sender ? sender : from);
        w.Raw(" ");
        WriteAddresses(w, Addresses(message, "Reply-To") is { Count: > 0 } replyTo ? replyTo : from);
        foreach (var name in new[] { "To", "Cc", "Bcc" })
        {
            w.Raw(" ");
            WriteAddresses(w, Addresses(message, name));
        }

        foreach (var name in new[] { "In-Reply-To", "Message-ID" })
        {
            w.Raw(" ");
            var f = Last(message, name);
            w.NString(NoLf(f), f is null);
        }

        w.Raw(")");
    }

    private static void WriteAddresses(ImapStringWriter w, IReadOnlyList<Address>? list)
    {
        if (list is null || list.Count == 0)
        {
            w.Nil();
            return;
        }

        w.Raw("(");
        foreach (var a in list)
        {
            if (a is GroupAddress g)
            {
                // RFC 3501 §7.4.2: group start (NIL NIL name NIL), members, group end (NIL NIL NIL NIL).
                w.Raw("(NIL NIL ");
                w.NString(g.Name);
                w.Raw(" NIL)");
                foreach (var m in g.Members)
                {
                    WriteMailbox(w, m);
                }

                w.Raw("(NIL NIL NIL NIL)");
            }
            else if (a is MailboxAddress m)
            {
                WriteMailbox(w, m);
            }
        }

        w.Raw(")");
    }

    private static void WriteMailbox(ImapStringWriter w, MailboxAddress m)
    {
        w.Raw("(");
        if (m.DisplayName is null)
        {
            w.Nil();
        }
        else
        {
            w.HumanString(Encoding.Latin1.GetBytes(m.DisplayName));
        }

        w.Raw(" ");
        w.NString(m.Route);
        w.Raw(" ");
        // Like Dovecot, a missing mailbox or domain is named rather than NIL (NIL host means a group).
        w.NString(string.IsNullOrEmpty(m.LocalPart) ? "MISSING_MAILBOX" : m.LocalPart);
        w.Raw(" ");
        w.NString(string.IsNullOrEmpty(m.Domain) ? "MISSING_DOMAIN" : m.Domain);
        w.Raw(")");
    }

    private static void WritePart(ImapStringWriter w, MessagePart part, bool extended)
    {
        w.Raw("(");
        if (part.Kind == MimePartKind.Multipart)
        {
            if (part.Children.Count == 0)
            {
                // A multipart with no parts found: like Dovecot, one empty text/plain part keeps the syntax valid.
                WriteEmptyText(w, extended);
            }

            foreach (var c in part.Children)
            {
                WritePart(w, c, extended);
            }

            w.Raw(" ");
            w.NString(part.ContentType.SubType);
            if (extended)
            {
                w.Raw(" ");
                WriteParams(w, part.ContentType.Parameters.Raw, null);
                WriteDispositionLanguageLocation(w, part);
            }

            w.Raw(")");
            return;
        }

        if (IsMimeless(part))
        {
            // RFC 2045 §4: a message with neither MIME-Version nor Content-Type is not MIME; like Dovecot, its
            // Content-* fields (transfer encoding, id, disposition…) are not shown, only the defaults.
            w.Raw("\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" ");
            w.Raw(part.BodyCrlfLength.ToString(CultureInfo.InvariantCulture) + " " + part.BodyLines.ToString(CultureInfo.InvariantCulture));
            w.Raw(extended ? " NIL NIL NIL NIL)" : ")");
            return;
        }

        var type = part.ContentType;
        var isText = type.IsText;
        var isRfc822 = type.Is("message", "rfc822");
        w.NString(type.MediaType);
        w.Raw(" ");
        w.NString(type.SubType);
        w.Raw(" ");
        WriteParams(w, type.Parameters.Raw, isText ? "us-ascii" : null);
        w.Raw(" ");
        var id = part.GetHeader("Content-ID");
        w.NString(NoLf(id), id is null);
        w.Raw(" ");
        var desc = part.GetHeader("Content-Description");
        w.NString(NoLf(desc), desc is null);
        w.Raw(" ");
        var cte = part.GetHeader("Content-Transfer-Encoding");
        var cteToken = cte is null ? string.Empty : HeaderTokenizer.SingleToken(Encoding.Latin1.GetString(cte.RawValue));
        w.NString(cteToken.Length == 0 ? "7bit" : cteToken);
        w.Raw(" ");
        w.Raw(part.BodyCrlfLength.ToString(CultureInfo.InvariantCulture));
        if (isRfc822)
        {
            w.Raw(" ");
            if (part.Message is { } m)
            {
                WriteEnvelope(w, m);
                w.Raw(" ");
                WritePart(w, m, extended);
            }
            else
            {
                // Not parsed (e.g. base64-encoded message/rfc822): an empty envelope and body, as Dovecot does.
                w.Raw("(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (");
                WriteEmptyTextFields(w, extended);
                w.Raw(")");
            }

            w.Raw(" ");
            w.Raw(part.BodyLines.ToString(CultureInfo.InvariantCulture));
        }
        else if (isText)
        {
            w.Raw(" ");
            w.Raw(part.BodyLines.ToString(CultureInfo.InvariantCulture));
        }

        if (extended)
        {
            w.Raw(" ");
            var md5 = part.GetHeader("Content-MD5");
            w.NString(NoLf(md5), md5 is null);
            WriteDispositionLanguageLocation(w, part);
        }

        w.Raw(")");
    }

    private static void WriteEmptyText(ImapStringWriter w, bool extended)
    {
        w.Raw("(");
        WriteEmptyTextFields(w, extended);
        w.Raw(")");
    }

    private static void WriteEmptyTextFields(ImapStringWriter w, bool extended) =>
        w.Raw(extended ? "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL" : "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0");

    private static void WriteParams(ImapStringWriter w, IReadOnlyList<KeyValuePair<string, string>> raw, string? defaultCharset)
    {
        var addCharset = defaultCharset is not null && !raw.Any(p => p.Key.Equals("charset", StringComparison.OrdinalIgnoreCase));
        if (raw.Count == 0 && !addCharset)
        {
            w.Nil();
            return;
        }

        w.Raw("(");
        var first = true;
        foreach (var p in raw)
        {
            if (!first)
            {
                w.Raw(" ");
            }

            first = false;
            w.NString(p.Key);
            w.Raw(" ");
            w.NString(p.Value);
        }

        if (addCharset)
        {
            // RFC 2045 §5.2: text without a charset is us-ascii; Dovecot states it explicitly.
            w.Raw(first ? "\"charset\" \"" : " \"charset\" \"");
            w.Raw(defaultCharset + "\"");
        }

        w.Raw(")");
    }

    private static void WriteDispositionLanguageLocation(ImapStringWriter w, MessagePart part)
    {
        w.Raw(" ");
        var disp = part.GetHeader("Content-Disposition");
        var parsed = disp is null ? null : ContentDisposition.Parse(Encoding.Latin1.GetString(disp.RawValue).Trim());
        if (parsed is null)
        {
            w.Nil();
        }
        else
        {
            w.Raw("(");
            w.NString(parsed.Disposition);
            w.Raw(" ");
            WriteParams(w, parsed.Parameters.Raw, null);
            w.Raw(")");
        }

        w.Raw(" ");
        var lang = part.GetHeader("Content-Language");
        var langs = lang is null
            ? Array.Empty<string>()
            : Encoding.Latin1.GetString(lang.RawValue).Split([',', ' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (langs.Length == 0)
        {
            w.Nil();
        }
        else
        {
            w.Raw("(");
            for (var i = 0; i < langs.Length; i++)
            {
                if (i > 0)
                {
                    w.Raw(" ");
                }

                w.NString(langs[i]);
            }

            w.Raw(")");
        }

        w.Raw(" ");
        var loc = part.GetHeader("Content-Location");
        w.NString(NoLf(loc), loc is null);
    }

    private static bool IsMimeless(MessagePart part) =>
        (part.Parent is null || part.Parent.Kind == MimePartKind.Message)
        && part.Kind == MimePartKind.Leaf
        && part.GetHeader("Content-Type") is null
        && part.GetHeader("MIME-Version") is null;

    private static HeaderField? Last(MessagePart part, string name)
    {
        HeaderField? last = null;
        foreach (var h in part.Headers)
        {
            if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                last = h;
            }
        }

        return last;
    }

    private static IReadOnlyList<Address>? Addresses(MessagePart part, string name)
    {
        var f = Last(part, name);
        return f is null ? null : AddressParser.ParseList(Encoding.Latin1.GetString(f.RawValue));
    }

    /// <summary>The value after the colon, first-line leading whitespace skipped, CR and LF removed (Dovecot's nolf).</summary>
    private static byte[] NoLf(HeaderField? field)
    {
        if (field is null)
        {
            return Array.Empty<byte>();
        }

        var v = TrimLead(field.RawValue);
        var result = new byte[v.Length];
        var n = 0;
        foreach (var b in v)
        {
            if (b is not ((byte)'\r' or (byte)'\n'))
            {
                result[n++] = b;
            }
        }

        return result.AsSpan(0, n).ToArray();
    }

    private static ReadOnlySpan<byte> TrimLead(byte[] raw) => raw.AsSpan().TrimStart(" \t"u8);
}
