using System.Text;
using MailAppliance.Mime;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>
/// The message a script looks at: its structure from our MIME parser (headers kept, bodies left in the file), read
/// from a seekable stream. Only the body test reads body bytes, each text part transfer- and charset-decoded, with
/// a cap on the total (<see cref="SieveLimits.MaxBodyBytes"/>).
/// </summary>
public sealed class SieveMessage
{
    private readonly Stream _file;

    private SieveMessage(Stream file, MessageStructure structure)
    {
        _file = file;
        Structure = structure;
        Headers = structure.Root.Headers.Select(h => new SieveHeader(h.Name, h.Value)).ToList();
    }

    public MessageStructure Structure { get; }

    /// <summary>The top-level header fields in order, as unfolded text (encoded-words kept).</summary>
    public IReadOnlyList<SieveHeader> Headers { get; }

    /// <summary>RFC 5228 §5.9: the size of the message in octets.</summary>
    public long Size => Structure.Length;

    /// <summary>Parses the message's structure from a seekable stream (read once; not held in memory).</summary>
    public static SieveMessage Load(Stream seekable)
    {
        if (!seekable.CanSeek)
        {
            throw new ArgumentException("the message stream must be seekable", nameof(seekable));
        }

        seekable.Seek(0, SeekOrigin.Begin);
        var structure = MimeParser.Parse(seekable);
        return new SieveMessage(seekable, structure);
    }

    /// <summary>Parses an in-memory message (tests, small messages).</summary>
    public static SieveMessage Load(byte[] message) => Load(new MemoryStream(message, writable: false));

    /// <summary>
    /// RFC 5173 §5: the body as the transform asks. <c>raw</c>: the undecoded body after the header;
    /// <c>content</c> with types: the decoded leaf parts whose type matches; <c>text</c>: text parts decoded,
    /// HTML reduced to its text (as Pigeonhole's :text does).
    /// </summary>
    public IReadOnlyList<string> BodyTexts(string transform, IReadOnlyList<string> types, int maxBytes)
    {
        var budget = maxBytes;
        var result = new List<string>();
        if (transform == "raw")
        {
            var root = Structure.Root;
            using var raw = root.OpenRawBody(_file);
            result.Add(ReadCapped(raw, root.BodyLength, ref budget, null));
            return result;
        }

        foreach (var part in Structure.Root.Descendants())
        {
            if (budget <= 0)
            {
                break;
            }

            if (part.Kind != MimePartKind.Leaf)
            {
                continue;
            }

            var type = part.ContentType;
            var wanted = transform == "text"
                ? type.IsText
                : types.Any(t => TypeMatches(type, t));
            if (!wanted)
            {
                continue;
            }

            using var decoded = part.OpenDecodedBody(_file);
            var text = ReadCapped(decoded, part.BodyLength, ref budget, type.IsText ? type.Charset ?? string.Empty : null);
            if (transform == "text" && type.Is("text", "html"))
            {
                text = SieveHtml.ToText(text);
            }

            result.Add(text);
        }

        return result;
    }

    /// <summary>RFC 5173 §5.2: "" matches every type, "type" its media type, "type/subtype" exactly.</summary>
    private static bool TypeMatches(ContentType type, string wanted)
    {
        if (wanted.Length == 0)
        {
            return true;
        }

        var slash = wanted.IndexOf('/', StringComparison.Ordinal);
        return slash < 0
            ? type.MediaType.Equals(wanted, StringComparison.OrdinalIgnoreCase)
            : type.Is(wanted[..slash], wanted[(slash + 1)..]);
    }

    private static string ReadCapped(Stream stream, long sizeHint, ref int budget, string? charset)
    {
        // Decoded text is never longer than the encoded body, so the part's size bounds the buffer too.
        var buffer = new byte[(int)Math.Max(0, Math.Min(Math.Min(budget, 64 * 1024), sizeHint + 16))];
        using var collected = new MemoryStream();
        int n;
        while (budget > 0 && (n = stream.Read(buffer, 0, Math.Min(buffer.Length, budget))) > 0)
        {
            collected.Write(buffer, 0, n);
            budget -= n;
        }

        var bytes = collected.GetBuffer().AsSpan(0, (int)collected.Length);
        return charset is null ? Encoding.Latin1.GetString(bytes) : Charsets.Decode(bytes, charset.Length == 0 ? null : charset);
    }
}

/// <summary>One header field as a script sees it: name and unfolded value (encoded-words kept).</summary>
public sealed record SieveHeader(string Name, string Value)
{
    /// <summary>RFC 5228 §5.7: header values are compared after RFC 2047 decoding.</summary>
    public string Decoded => EncodedWords.DecodeUnstructured(Value);
}

/// <summary>Reduces HTML to its text for the body test's :text transform: tags dropped, common entities decoded.</summary>
internal static class SieveHtml
{
    public static string ToText(string html)
    {
        var sb = new StringBuilder(html.Length);
        var inTag = false;
        for (var i = 0; i < html.Length; i++)
        {
            var c = html[i];
            if (inTag)
            {
                inTag = c != '>';
                continue;
            }

            if (c == '<')
            {
                inTag = true;
                continue;
            }

            sb.Append(c);
        }

        return System.Net.WebUtility.HtmlDecode(sb.ToString());
    }
}
