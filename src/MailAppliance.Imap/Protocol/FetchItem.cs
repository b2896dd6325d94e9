using System.Globalization;
using MailAppliance.Mime;

namespace MailAppliance.Imap.Protocol;

public enum FetchKind
{
    Flags,
    Uid,
    InternalDate,
    Rfc822Size,
    Envelope,
    Body,
    BodyStructure,
    ModSeq,
    Section,
    Binary,
    BinarySize,

    /// <summary>RFC 8970 PREVIEW.</summary>
    Preview,

    /// <summary>RFC 8474 EMAILID.</summary>
    EmailId,

    /// <summary>RFC 8474 THREADID.</summary>
    ThreadId,
}

/// <summary>
/// One FETCH data item (RFC 9051 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ). Sections carry the label the response
/// uses (the section as the client wrote it, <c>.PEEK</c> dropped, a partial reduced to its origin).
/// </summary>
public sealed record FetchItem(FetchKind Kind)
{
    public SectionSpec? Section { get; init; }

    /// <summary>BINARY part numbers.</summary>
    public IReadOnlyList<int> Parts { get; init; } = [];

    public bool Peek { get; init; }

    public long? PartialStart { get; init; }

    public long? PartialLength { get; init; }

    /// <summary>The name the response uses for this item (<c>BODY[HEADER]&lt;0&gt;</c>, <c>RFC822.HEADER</c>, ...).</summary>
    public string Label { get; init; } = "";

    /// <summary>Whether serving this item sets \Seen (RFC 9051 §6.4.5).</summary>
    public bool SetsSeen => Kind is FetchKind.Section or FetchKind.Binary && !Peek;

    /// <summary>BODY[], BODY.PEEK[] or RFC822, whole: the file as it is (in CRLF form), no part structure needed.</summary>
    public bool IsWholeMessage => Kind == FetchKind.Section && Section is { Parts.Count: 0, Text: SectionText.None, Fields.Count: 0 } && PartialStart is null;
}

/// <summary>Parses the FETCH attribute argument: a macro, one item, or a list of items.</summary>
public static class FetchItemParser
{
    public static bool TryParse(ImapValue value, out List<FetchItem> items, out string error)
    {
        items = [];
        error = "";
        if (value is ImapAtom macro)
        {
            // RFC 9051 §6.4.5 (RFC 3501 macros kept for IMAP4rev1 clients).
            var expanded = macro.Text.ToUpperInvariant() switch
            {
                "ALL" => new[] { "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE" },
                "FAST" => ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
                "FULL" => ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
                _ => null,
            };
            if (expanded is not null)
            {
                items.AddRange(expanded.Select(e => ParseOne(e)!));
                return true;
            }
        }

        var list = value is ImapList l ? l.Items : [value];
        if (list.Count == 0)
        {
            error = "Empty fetch attribute list";
            return false;
        }

        for (var i = 0; i < list.Count; i++)
        {
            var entry = list[i];
            if (entry is not ImapAtom atom || ParseOne(atom.Text) is not { } item)
            {
                error = $"Invalid fetch attribute {entry.AsText()}";
                return false;
            }

            if (item.Kind == FetchKind.Preview && i + 1 < list.Count && list[i + 1] is ImapList modifiers)
            {
                // RFC 8970 §3: PREVIEW (LAZY): a preview not at hand yet may be NIL.
                if (modifiers.Items.Any(m => !(m is ImapAtom lazy && lazy.Is("LAZY"))))
                {
                    error = "Unknown PREVIEW modifier";
                    return false;
                }

                i++;
            }

            items.Add(item);
        }

        return true;
    }

    public static FetchItem? ParseOne(string text)
    {
        var upper = text.ToUpperInvariant();
        switch (upper)
        {
            case "FLAGS": return new FetchItem(FetchKind.Flags) { Label = "FLAGS" };
            case "UID": return new FetchItem(FetchKind.Uid) { Label = "UID" };
            case "INTERNALDATE": return new FetchItem(FetchKind.InternalDate) { Label = "INTERNALDATE" };
            case "RFC822.SIZE": return new FetchItem(FetchKind.Rfc822Size) { Label = "RFC822.SIZE" };
            case "ENVELOPE": return new FetchItem(FetchKind.Envelope) { Label = "ENVELOPE" };
            case "BODY": return new FetchItem(FetchKind.Body) { Label = "BODY" };
            case "BODYSTRUCTURE": return new FetchItem(FetchKind.BodyStructure) { Label = "BODYSTRUCTURE" };
            case "MODSEQ": return new FetchItem(FetchKind.ModSeq) { Label = "MODSEQ" };
            case "PREVIEW": return new FetchItem(FetchKind.Preview) { Label = "PREVIEW" };
            case "EMAILID": return new FetchItem(FetchKind.EmailId) { Label = "EMAILID" };
            case "THREADID": return new FetchItem(FetchKind.ThreadId) { Label = "THREADID" };
            case "RFC822": return new FetchItem(FetchKind.Section) { Section = SectionSpec.Whole, Label = "RFC822" };
            case "RFC822.HEADER":
                return new FetchItem(FetchKind.Section) { Section = new SectionSpec([], SectionText.Header, []), Peek = true, Label = "RFC822.HEADER" };
            case "RFC822.TEXT": return new FetchItem(FetchKind.Section) { Section = new SectionSpec([], SectionText.Text, []), Label = "RFC822.TEXT" };
        }

        var open = text.IndexOf('[', StringComparison.Ordinal);
        var close = text.LastIndexOf(']');
        if (open < 0 || close < open)
        {
            return null;
        }

        var name = upper[..open];
        var inside = text[(open + 1)..close];
        var after = text[(close + 1)..];
        long? start = null;
        long? length = null;
        if (after.Length > 0)
        {
            // <origin.count> (RFC 9051 §6.4.5 partial).
            if (after[0] != '<' || after[^1] != '>')
            {
                return null;
            }

            var numbers = after[1..^1].Split('.');
            if (numbers.Length != 2
                || !long.TryParse(numbers[0], NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                || !long.TryParse(numbers[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n == 0)
            {
                return null;
            }

            start = s;
            length = n;
        }

        var partialLabel = start is { } origin ? "<" + origin.ToString(CultureInfo.InvariantCulture) + ">" : "";
        switch (name)
        {
            case "BODY":
            case "BODY.PEEK":
                if (!SectionSpec.TryParse(inside, out var spec))
                {
                    return null;
                }

                return new FetchItem(FetchKind.Section)
                {
                    Section = spec, Peek = name == "BODY.PEEK", PartialStart = start, PartialLength = length,
                    Label = "BODY[" + inside + "]" + partialLabel,
                };
            case "BINARY":
            case "BINARY.PEEK":
            case "BINARY.SIZE":
                var parts = new List<int>();
                if (inside.Length > 0)
                {
                    foreach (var p in inside.Split('.'))
                    {
                        if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var part) || part < 1)
                        {
                            return null;
                        }

                        parts.Add(part);
                    }
                }

                if (name == "BINARY.SIZE")
                {
                    return start is null ? new FetchItem(FetchKind.BinarySize) { Parts = parts, Label = "BINARY.SIZE[" + inside + "]" } : null;
                }

                return new FetchItem(FetchKind.Binary)
                {
                    Parts = parts, Peek = name == "BINARY.PEEK", PartialStart = start, PartialLength = length, Label = "BINARY[" + inside + "]" + partialLabel,
                };
            default:
                return null;
        }
    }
}
