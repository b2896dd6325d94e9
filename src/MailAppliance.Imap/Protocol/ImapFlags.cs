using System.Text;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Imap.Protocol;

/// <summary>
/// System flags and keywords on the wire (RFC 9051 §2.3.2) and in the maildir (letters D F R S T; P has no IMAP
/// flag: Dovecot shows it as the keyword $Forwarded, and so do we).
/// </summary>
public static class ImapFlags
{
    public const string Forwarded = "$Forwarded";

    public static readonly (MaildirFlags Flag, string Name)[] System =
    [
        (MaildirFlags.Replied, "\\Answered"),
        (MaildirFlags.Flagged, "\\Flagged"),
        (MaildirFlags.Trashed, "\\Deleted"),
        (MaildirFlags.Seen, "\\Seen"),
        (MaildirFlags.Draft, "\\Draft"),
    ];

    // Every FLAGS list without keywords, as bytes (64 flag combinations, with and without \Recent): a FETCH of
    // FLAGS over a whole mailbox writes one of these per message instead of building a string.
    private static readonly byte[][] Encoded = Enumerable.Range(0, 128)
        .Select(i => Encoding.ASCII.GetBytes(Format((MaildirFlags)(i & 63), [], recent: i >= 64))).ToArray();

    /// <summary>The FLAGS list of a message without keywords, as bytes.</summary>
    public static ReadOnlySpan<byte> FormatWithoutKeywords(MaildirFlags flags, bool recent) => Encoded[((int)flags & 63) | (recent ? 64 : 0)];

    /// <summary>A FLAGS list; <paramref name="recent"/> adds \Recent (RFC 3501 §2.3.2: a session flag, never stored).</summary>
    public static string Format(MaildirFlags flags, IReadOnlyList<string> keywords, bool recent = false)
    {
        var text = new StringBuilder("(");
        foreach (var (flag, name) in System)
        {
            if ((flags & flag) != 0)
            {
                Append(text, name);
            }
        }

        if (recent)
        {
            Append(text, "\\Recent");
        }

        if ((flags & MaildirFlags.Passed) != 0)
        {
            Append(text, Forwarded);
        }

        foreach (var keyword in keywords)
        {
            if (!string.Equals(keyword, Forwarded, StringComparison.OrdinalIgnoreCase) || (flags & MaildirFlags.Passed) == 0)
            {
                Append(text, keyword);
            }
        }

        return text.Append(')').ToString();
    }

    private static void Append(StringBuilder text, string flag)
    {
        if (text.Length > 1)
        {
            text.Append(' ');
        }

        text.Append(flag);
    }

    /// <summary>Parses a flag list (or a single flag); \Recent and unknown system flags are refused, keywords must be atoms.</summary>
    public static bool TryParse(ImapValue value, out MaildirFlags flags, out List<string> keywords, out string error)
    {
        flags = MaildirFlags.None;
        keywords = [];
        error = "";
        var items = value is ImapList list ? list.Items : [value];
        foreach (var item in items)
        {
            if (item is not ImapAtom atom)
            {
                error = "Flags must be atoms";
                return false;
            }

            var text = atom.Text;
            if (text.StartsWith('\\'))
            {
                var match = System.FirstOrDefault(s => string.Equals(s.Name, text, StringComparison.OrdinalIgnoreCase));
                if (match.Name is null)
                {
                    // RFC 9051 §6.4.6: \Recent cannot be stored; other unknown system flags are errors.
                    error = $"Invalid system flag {text}";
                    return false;
                }

                flags |= match.Flag;
            }
            else if (string.Equals(text, Forwarded, StringComparison.OrdinalIgnoreCase))
            {
                flags |= MaildirFlags.Passed;
            }
            else if (text.Any(c => c <= ' ' || c >= 0x7f || c is '(' or ')' or '{' or '%' or '*' or '"' or ']'))
            {
                error = $"Invalid keyword {text}";
                return false;
            }
            else if (!keywords.Contains(text, StringComparer.OrdinalIgnoreCase))
            {
                keywords.Add(text);
            }
        }

        return true;
    }
}
