using System.Text;
using MailAppliance.Mime;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// What IMAP SEARCH looks at in a message, folded with <see cref="UnicodeCasemap"/>, as Dovecot 2.3 without an FTS
/// plugin searches it (RFC 9051 §6.4.4 substring semantics):
/// <list type="bullet">
/// <item><see cref="Header"/>: the top-level header fields, one per line as <c>\nNAME: value</c> (unfolded, RFC 2047
/// decoded): HEADER, SUBJECT and the header half of TEXT.</item>
/// <item><see cref="Mime"/>: the header fields of every other part (MIME headers, embedded messages' headers): TEXT
/// only.</item>
/// <item><see cref="Addresses"/>: each address of From, To, Cc and Bcc on its own line, written as Dovecot writes
/// a parsed address (<c>\nFROM: "Name, Quoted" &lt;local@domain&gt;</c>): FROM, TO, CC, BCC.</item>
/// <item><see cref="Body"/>: the decoded text of every text/* leaf part, in its charset (HTML as written; other
/// leaves, preambles and epilogues are not searched): BODY and the body half of TEXT.</item>
/// </list>
/// Lines start with a line feed so that a pattern can anchor on a field name; a search key without a line feed that
/// occurs in a column occurs within one line. <see cref="Complete"/> is false when a column was cut at the size limit:
/// a search then reads the message file for what the index could not say.
/// </summary>
public sealed record SearchText(string Header, string Mime, string Addresses, string Body, bool Complete)
{
    /// <summary>Address fields the FROM/TO/CC/BCC search keys look at.</summary>
    public static readonly string[] AddressFields = ["FROM", "TO", "CC", "BCC"];

    // RFC 5322 §3.2.3 specials: a display name holding one is written as a quoted-string.
    private static readonly System.Buffers.SearchValues<char> Specials = System.Buffers.SearchValues.Create("()<>[]:;@\\,.\"");

    /// <summary>Header text at most this long per column (far above any real header).</summary>
    public const int MaxHeaderChars = 256 * 1024;

    /// <summary>Builds the searchable text of a parsed message (with header values) from its file.</summary>
    public static SearchText Build(MessageStructure structure, Stream file, int maxBodyChars)
    {
        var complete = true;
        var header = HeaderLines(structure.Root, ref complete);
        var mime = new StringBuilder();
        foreach (var part in structure.Root.Descendants().Skip(1))
        {
            AppendHeaderLines(mime, part, ref complete);
        }

        var body = new StringBuilder();
        foreach (var part in SearchableParts(structure))
        {
            if (body.Length >= maxBodyChars)
            {
                complete = false;
                break;
            }

            // Parts are kept apart by a line feed, as lines are: no match spans two parts.
            body.Append('\n');
            var remaining = maxBodyChars - body.Length;
            foreach (var chunk in FoldedChunks(part, file))
            {
                if (chunk.Length > remaining)
                {
                    body.Append(chunk.AsSpan(0, remaining));
                    complete = false;
                    break;
                }

                body.Append(chunk);
                remaining -= chunk.Length;
            }
        }

        return new SearchText(header, Cap(mime, ref complete), AddressLines(structure.Root), body.ToString(), complete);
    }

    /// <summary>The parts whose text BODY searches: text/* leaves, attachments included, in embedded messages too.</summary>
    public static IEnumerable<MessagePart> SearchableParts(MessageStructure structure) =>
        structure.Root.Descendants().Where(p => p.Kind == MimePartKind.Leaf && p.ContentType.IsText);

    /// <summary>A part's decoded text, folded, in pieces of about 64 K characters, however large the part.</summary>
    public static IEnumerable<string> FoldedChunks(MessagePart part, Stream file)
    {
        using var decoded = part.OpenDecodedBody(file);
        var encoding = Charsets.Find(part.ContentType.Charset);
        var charset = encoding is null || encoding.CodePage == Encoding.ASCII.CodePage ? Encoding.UTF8 : encoding;
        var decoder = charset.GetDecoder();
        var bytes = new byte[64 * 1024];
        var chars = new char[charset.GetMaxCharCount(bytes.Length) + 4];
        int read;
        while ((read = decoded.Read(bytes, 0, bytes.Length)) > 0)
        {
            var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
            yield return Normalize(chars.AsSpan(0, count));
        }

        var rest = decoder.GetChars([], 0, 0, chars, 0, flush: true);
        if (rest > 0)
        {
            yield return Normalize(chars.AsSpan(0, rest));
        }
    }

    /// <summary>The lines of a part's header, <c>\nNAME: value</c>, folded.</summary>
    public static string HeaderLines(MessagePart part, ref bool complete)
    {
        var text = new StringBuilder();
        AppendHeaderLines(text, part, ref complete);
        return Cap(text, ref complete);
    }

    /// <summary>Each address of the top-level From, To, Cc and Bcc fields on a line of its own, folded.</summary>
    public static string AddressLines(MessagePart root)
    {
        var text = new StringBuilder();
        foreach (var field in root.Headers)
        {
            var name = field.Name.ToUpperInvariant();
            if (!AddressFields.Contains(name))
            {
                continue;
            }

            foreach (var address in AddressParser.ParseList(field.Value))
            {
                text.Append('\n').Append(name).Append(": ").Append(UnicodeCasemap.Fold(WriteAddress(address)));
            }
        }

        return text.Length > MaxHeaderChars ? text.ToString(0, MaxHeaderChars) : text.ToString();
    }

    /// <summary>
    /// An address as Dovecot writes a parsed one for searching: <c>Name &lt;local@domain&gt;</c>, the name decoded and
    /// quoted when it holds specials; <c>&lt;local@domain&gt;</c> without a name; a group as <c>name: member, member;</c>.
    /// </summary>
    public static string WriteAddress(Address address) => address switch
    {
        MailboxAddress mailbox => WriteMailbox(mailbox),
        GroupAddress group => group.DecodedName + ": " + string.Join(", ", group.Members.Select(WriteMailbox)) + ";",
        _ => "",
    };

    private static string WriteMailbox(MailboxAddress mailbox)
    {
        var spec = "<" + mailbox.AddrSpec + ">";
        if (mailbox.DecodedDisplayName is not { Length: > 0 } name)
        {
            return spec;
        }

        return (name.AsSpan().IndexOfAny(Specials) >= 0 ? "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : name) + " " + spec;
    }

    /// <summary>Folds text for the index and for matching: line ends as one line feed, then <see cref="UnicodeCasemap"/>.</summary>
    public static string Normalize(ReadOnlySpan<char> text)
    {
        if (text.IndexOf('\r') < 0)
        {
            return UnicodeCasemap.Fold(text);
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                continue;
            }

            builder.Append(text[i]);
        }

        return UnicodeCasemap.Fold(builder.ToString());
    }

    private static void AppendHeaderLines(StringBuilder text, MessagePart part, ref bool complete)
    {
        foreach (var field in part.Headers)
        {
            if (text.Length > MaxHeaderChars)
            {
                complete = false;
                return;
            }

            // Field names are ASCII; values unfolded (RFC 5322 §2.2.3) and RFC 2047-decoded; a raw line break cannot
            // remain (a lone CR reads as a space).
            text.Append('\n').Append(field.Name.ToUpperInvariant()).Append(": ").Append(UnicodeCasemap.Fold(field.DecodedValue.Replace('\n', ' ')));
        }
    }

    private static string Cap(StringBuilder text, ref bool complete)
    {
        if (text.Length <= MaxHeaderChars)
        {
            return text.ToString();
        }

        complete = false;
        return text.ToString(0, MaxHeaderChars);
    }
}
