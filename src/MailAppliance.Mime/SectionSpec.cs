using System.Globalization;

namespace MailAppliance.Mime;

/// <summary>What follows the part numbers in an IMAP section (RFC 3501 §6.4.5, RFC 9051 §6.4.5).</summary>
public enum SectionText
{
    /// <summary>No text part: the whole message (no numbers) or the part's body.</summary>
    None,

    /// <summary>HEADER: the header of the message or of the message/rfc822 part.</summary>
    Header,

    /// <summary>HEADER.FIELDS (…): only the named fields, then an empty line.</summary>
    HeaderFields,

    /// <summary>HEADER.FIELDS.NOT (…): all but the named fields, then an empty line.</summary>
    HeaderFieldsNot,

    /// <summary>TEXT: the body of the message or of the message/rfc822 part.</summary>
    Text,

    /// <summary>MIME: the MIME header of a numbered part.</summary>
    Mime,
}

/// <summary>An IMAP section specification such as <c>2.1.MIME</c> or <c>HEADER.FIELDS (From To)</c>.</summary>
/// <param name="Parts">Part numbers, each ≥ 1; empty for the top-level message.</param>
/// <param name="Text">The section-text kind.</param>
/// <param name="Fields">Field names for HEADER.FIELDS[.NOT]; empty otherwise.</param>
public sealed record SectionSpec(IReadOnlyList<int> Parts, SectionText Text, IReadOnlyList<string> Fields)
{
    /// <summary>The whole message (<c>BODY[]</c>).</summary>
    public static SectionSpec Whole { get; } = new(Array.Empty<int>(), SectionText.None, Array.Empty<string>());

    /// <summary>Parses the text between the brackets of <c>BODY[…]</c>; false when it is not a valid section.</summary>
    public static bool TryParse(string text, out SectionSpec spec)
    {
        spec = Whole;
        var parts = new List<int>();
        var trimmed = text.AsSpan().Trim();
        var start = 0;

        // The part numbers are walked with an index, not by cutting the string after each dot: a hostile
        // BODY[1.1.1...] of 10,000 parts would otherwise copy the rest of the string 10,000 times.
        while (start < trimmed.Length && char.IsAsciiDigit(trimmed[start]))
        {
            var dot = trimmed[start..].IndexOf('.');
            var number = dot < 0 ? trimmed[start..] : trimmed.Slice(start, dot);
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                return false;
            }

            parts.Add(n);
            start = dot < 0 ? trimmed.Length : start + dot + 1;
            if (dot >= 0 && start == trimmed.Length)
            {
                return false;
            }
        }

        var rest = trimmed[start..].ToString();
        var upper = rest.ToUpperInvariant();
        SectionText kind;
        var fields = new List<string>();
        if (upper.Length == 0)
        {
            kind = SectionText.None;
        }
        else if (upper == "HEADER")
        {
            kind = SectionText.Header;
        }
        else if (upper == "TEXT")
        {
            kind = SectionText.Text;
        }
        else if (upper == "MIME" && parts.Count > 0)
        {
            kind = SectionText.Mime;
        }
        else if (upper.StartsWith("HEADER.FIELDS", StringComparison.Ordinal))
        {
            var not = upper.StartsWith("HEADER.FIELDS.NOT", StringComparison.Ordinal);
            kind = not ? SectionText.HeaderFieldsNot : SectionText.HeaderFields;
            var list = rest[(not ? 17 : 13)..].Trim();
            if (list.Length < 2 || list[0] != '(' || list[^1] != ')')
            {
                return false;
            }

            fields.AddRange(list[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Trim('"')));
            if (fields.Count == 0)
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        spec = new SectionSpec(parts, kind, fields);
        return true;
    }
}
