using System.Text;
using MailAppliance.Mime;

namespace MailAppliance.Storage.Mailstore;

/// <summary>Which text an IMAP search key looks at (RFC 9051 §6.4.4).</summary>
public enum TextSearchKind
{
    /// <summary>BODY: the text parts.</summary>
    Body,

    /// <summary>TEXT: every header (of every part) and the text parts.</summary>
    Text,

    /// <summary>HEADER field string: the top-level fields of that name (an empty string: the field exists).</summary>
    Header,

    /// <summary>SUBJECT: the Subject field with runs of white space read as one space (as Dovecot compares it).</summary>
    Subject,

    /// <summary>FROM, TO, CC, BCC: each address of the field as a parsed address is written.</summary>
    Address,
}

/// <summary>
/// One text key of a SEARCH: a case-insensitive (i;unicode-casemap) substring match. The same rules decide in
/// PostgreSQL (over the indexed <see cref="SearchText"/> columns) and in .NET (over a message file, for messages
/// whose indexed text is incomplete), so both give the same answer.
/// </summary>
public sealed record TextSearch(TextSearchKind Kind, string Field, string Key)
{
    /// <summary>The key folded as the index text is.</summary>
    public string FoldedKey { get; } = SearchText.Normalize(Key);

    /// <summary>The header field name as the index writes it (upper case).</summary>
    public string FoldedField => Field.ToUpperInvariant();

    /// <summary>
    /// Whether the key can match anything at all: a SUBJECT key with two spaces in a row or a tab cannot, nor can a
    /// key with a line feed match one field's value (values are unfolded; the index keeps them a line each).
    /// </summary>
    public bool CanMatch => !(IsHeaderOnly && FoldedKey.Contains('\n', StringComparison.Ordinal))
        && (Kind != TextSearchKind.Subject || !(FoldedKey.Contains("  ", StringComparison.Ordinal) || FoldedKey.Contains('\t', StringComparison.Ordinal)));

    /// <summary>Whether the header columns alone decide (everything but BODY and TEXT).</summary>
    public bool IsHeaderOnly => Kind is TextSearchKind.Header or TextSearchKind.Subject or TextSearchKind.Address;

    /// <summary>The decision over a message's header columns (for BODY: false; TEXT: the header half).</summary>
    public bool MatchesHeaders(SearchText text)
    {
        var key = FoldedKey;
        return Kind switch
        {
            TextSearchKind.Body => false,
            TextSearchKind.Text => text.Header.Contains(key, StringComparison.Ordinal) || text.Mime.Contains(key, StringComparison.Ordinal),
            TextSearchKind.Header => FieldValues(text.Header, FoldedField).Any(v => v.Contains(key, StringComparison.Ordinal)),
            TextSearchKind.Subject => CanMatch && FieldValues(text.Header, "SUBJECT").Any(v => CompressSpace(v).Contains(key, StringComparison.Ordinal)),
            _ => FieldValues(text.Addresses, FoldedField).Any(v => v.Contains(key, StringComparison.Ordinal)),
        };
    }

    /// <summary>The whole decision from a message file (the structure parsed with header values).</summary>
    public bool Matches(MessageStructure structure, Stream file)
    {
        var complete = true;
        var text = new SearchText(
            SearchText.HeaderLines(structure.Root, ref complete),
            Kind == TextSearchKind.Text ? string.Concat(structure.Root.Descendants().Skip(1).Select(p => SearchText.HeaderLines(p, ref complete))) : "",
            Kind == TextSearchKind.Address ? SearchText.AddressLines(structure.Root) : "",
            "",
            true);
        if (MatchesHeaders(text))
        {
            return true;
        }

        return Kind is TextSearchKind.Body or TextSearchKind.Text && BodyContains(structure, file, FoldedKey);
    }

    /// <summary>Whether the text parts contain the folded key, reading them in pieces (a piece's tail is kept, so a match across two pieces is found).</summary>
    public static bool BodyContains(MessageStructure structure, Stream file, string key)
    {
        foreach (var part in SearchText.SearchableParts(structure))
        {
            var carry = "";
            foreach (var chunk in SearchText.FoldedChunks(part, file))
            {
                var window = carry + chunk;
                if (window.Contains(key, StringComparison.Ordinal))
                {
                    return true;
                }

                carry = key.Length > 1 && window.Length >= key.Length - 1 ? window[^(key.Length - 1)..] : window;
            }

            if (key.Length == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A LIKE pattern for the key anywhere in a column (<c>\</c> is LIKE's escape character).</summary>
    public string LikePattern()
    {
        var text = new StringBuilder("%");
        foreach (var c in FoldedKey)
        {
            if (c is '%' or '_' or '\\')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        return text.Append('%').ToString();
    }

    /// <summary>
    /// A LIKE pattern every column that <see cref="FieldPattern"/> matches also matches (the key's words in order):
    /// checked first, since LIKE is far cheaper than a regular expression over rows without an index.
    /// </summary>
    public string FieldPrefilter()
    {
        var text = new StringBuilder("%");
        foreach (var c in FoldedKey)
        {
            if (c is ' ' or '\t' && Kind == TextSearchKind.Subject)
            {
                if (text[^1] != '%')
                {
                    text.Append('%');
                }

                continue;
            }

            if (c is '%' or '_' or '\\')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        if (text[^1] != '%')
        {
            text.Append('%');
        }

        return text.ToString();
    }

    /// <summary>
    /// A PostgreSQL regular expression for the key in one line of a field (<c>\nFIELD: … key</c>). Lines start with a
    /// line feed and hold none, so <c>[^\n]*</c> keeps the match inside the field's value.
    /// </summary>
    public string FieldPattern()
    {
        var field = Kind == TextSearchKind.Subject ? "SUBJECT" : FoldedField;
        return new StringBuilder("\n").Append(Escape(field)).Append(": [^\n]*").Append(KeyPattern()).ToString();
    }

    /// <summary>
    /// Whether the Subject table (<c>message_subjects</c>: a message's Subject values, one per line) answers this
    /// key: SUBJECT, and HEADER Subject.
    /// </summary>
    public bool UsesSubjectTable => Kind == TextSearchKind.Subject || (Kind == TextSearchKind.Header && FoldedField == "SUBJECT");

    /// <summary>
    /// A PostgreSQL regular expression for the key alone (SUBJECT: white space in the key matches any run of white
    /// space). It never matches a line feed, so over the Subject table's lines it stays within one value.
    /// </summary>
    public string KeyPattern()
    {
        var text = new StringBuilder();
        foreach (var c in FoldedKey)
        {
            if (Kind == TextSearchKind.Subject && c == ' ')
            {
                // The value's white space runs compare as one space.
                text.Append("[ \t]+");
                continue;
            }

            AppendEscaped(text, c);
        }

        return text.ToString();
    }

    private static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (var c in text)
        {
            AppendEscaped(builder, c);
        }

        return builder.ToString();
    }

    // ARE: a backslash before a character that is not alphanumeric makes it literal.
    private static void AppendEscaped(StringBuilder text, char c)
    {
        if (c < 0x80 && !char.IsAsciiLetterOrDigit(c) && c is not (' ' or '\n' or '\t'))
        {
            text.Append('\\');
        }

        text.Append(c);
    }

    /// <summary>
    /// The row of the Subject table for a message's header column: each Subject value on a line of its own, or
    /// null when the message has no Subject field. Migration 0082 computes the same from the rows indexed before it.
    /// </summary>
    public static string? SubjectValues(string header)
    {
        var values = FieldValues(header, "SUBJECT").ToList();
        return values.Count == 0 ? null : string.Join('\n', values);
    }

    private static IEnumerable<string> FieldValues(string lines, string field)
    {
        var prefix = "\n" + field + ": ";
        var at = 0;
        while ((at = lines.IndexOf(prefix, at, StringComparison.Ordinal)) >= 0)
        {
            var start = at + prefix.Length;
            var end = lines.IndexOf('\n', start);
            yield return end < 0 ? lines[start..] : lines[start..end];
            at = end < 0 ? lines.Length : end;
        }
    }

    private static string CompressSpace(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is ' ' or '\t')
            {
                if (text.Length == 0 || text[^1] != ' ')
                {
                    text.Append(' ');
                }

                continue;
            }

            text.Append(c);
        }

        return text.ToString();
    }
}
