using System.Text;

namespace MailAppliance.Mime.Builder;

/// <summary>
/// Encodes header values for messages we generate: RFC 2047 encoded-words (UTF-8, B or Q, at most 75 characters
/// each, never splitting a character), quoted phrases, address lists, and folding to 78-character lines.
/// </summary>
public static class HeaderEncoder
{
    private const int MaxEncodedWord = 75; // RFC 2047 §2
    private const int PreferredLine = 78;  // RFC 5322 §2.1.1

    /// <summary>
    /// An unstructured value (Subject, Comments…): kept when printable ASCII, otherwise encoded-words for the
    /// non-ASCII stretches. With <paramref name="utf8Headers"/> (RFC 6532, SMTPUTF8) UTF-8 is written as is.
    /// </summary>
    public static string Unstructured(string value, bool utf8Headers = false)
    {
        // Leading and trailing spaces are not significant in a header value (and unfolding would lose them).
        value = value.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal).Trim(' ');
        if (utf8Headers || (IsPrintableAscii(value) && !value.Contains("=?", StringComparison.Ordinal)))
        {
            return value;
        }

        // Encode word by word: a run of words needing encoding becomes encoded-words (spaces inside are encoded).
        // Empty words (runs of spaces) join a run they touch, because whitespace between two encoded-words is
        // dropped when decoding (RFC 2047 §6.2).
        var words = value.Split(' ');
        var needs = words.Select(w => w.Length > 0 && (!IsPrintableAscii(w) || w.Contains("=?", StringComparison.Ordinal))).ToArray();
        for (var i = 0; i < words.Length; i++)
        {
            if (words[i].Length == 0 && !needs[i])
            {
                var j = i;
                while (j < words.Length && words[j].Length == 0)
                {
                    j++;
                }

                needs[i] = (i > 0 && needs[i - 1]) || (j < words.Length && needs[j]);
            }
        }

        var sb = new StringBuilder();
        var run = new List<string>();
        for (var i = 0; i < words.Length; i++)
        {
            if (!needs[i])
            {
                Flush(run, sb);
                if (sb.Length > 0 || i > 0)
                {
                    sb.Append(' ');
                }

                sb.Append(words[i]);
            }
            else
            {
                run.Add(words[i]);
            }
        }

        Flush(run, sb);
        return sb.ToString().Trim(' ');

        static void Flush(List<string> run, StringBuilder sb)
        {
            if (run.Count == 0)
            {
                return;
            }

            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(EncodeWords(string.Join(' ', run)));
            run.Clear();
        }
    }

    /// <summary>A display name (RFC 5322 §3.2.5 phrase): atoms as is, else a quoted string, else encoded-words.</summary>
    public static string Phrase(string name, bool utf8Headers = false)
    {
        if (name.Length == 0)
        {
            return "\"\"";
        }

        var ascii = IsPrintableAscii(name);
        if ((!ascii && !utf8Headers) || name.Contains("=?", StringComparison.Ordinal))
        {
            // RFC 2047 §5(3): B encoding is always valid in a phrase.
            return EncodeWords(name);
        }

        if (name.All(c => c == ' ' || HeaderTokenizer.IsTokenChar(c, TokenKind.Atom)) && !name.Contains("=?", StringComparison.Ordinal)
            && !name.StartsWith(' ') && !name.EndsWith(' ') && !name.Contains("  ", StringComparison.Ordinal))
        {
            return name;
        }

        return Quote(name);
    }

    /// <summary>A quoted string (RFC 5322 §3.2.4).</summary>
    public static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>One mailbox: "Name &lt;local@domain&gt;" or "local@domain"; local parts needing it are quoted.</summary>
    public static string Mailbox(MailboxAddress m, bool utf8Headers = false)
    {
        var local = m.LocalPart ?? string.Empty;
        if (local.Length == 0 || local.StartsWith('.') || local.EndsWith('.') || local.Contains("..", StringComparison.Ordinal)
            || !local.All(c => HeaderTokenizer.IsTokenChar(c, TokenKind.DotAtom)))
        {
            local = Quote(local);
        }

        var spec = m.Domain is null ? local : local + "@" + m.Domain;
        return string.IsNullOrEmpty(m.DisplayName) ? spec : Phrase(m.DisplayName, utf8Headers) + " <" + spec + ">";
    }

    /// <summary>An address list joined with ", " (folding happens when the field is written).</summary>
    public static string AddressList(IEnumerable<Address> addresses, bool utf8Headers = false) =>
        string.Join(", ", addresses.Select(a => a switch
        {
            MailboxAddress m => Mailbox(m, utf8Headers),
            GroupAddress g => Phrase(g.Name, utf8Headers) + ": " + string.Join(", ", g.Members.Select(x => Mailbox(x, utf8Headers))) + ";",
            _ => string.Empty,
        }));

    /// <summary>
    /// Folds "Name: value" into lines of at most 78 characters where whitespace allows (RFC 5322 §2.2.3), never
    /// more than 998; returns the field with CRLF line ends, including the final one.
    /// </summary>
    public static string Fold(string name, string value)
    {
        var sb = new StringBuilder();
        var line = new StringBuilder(name + ":");
        foreach (var word in value.Split(' '))
        {
            if (line.Length + 1 + word.Length > PreferredLine && line.Length > name.Length + 1)
            {
                sb.Append(line).Append("\r\n");
                line.Clear();
            }

            line.Append(' ');
            // A single word longer than the hard limit is split (only possible for absurd unstructured input).
            var w = word;
            while (line.Length + w.Length > 998)
            {
                var take = 998 - line.Length;
                line.Append(w.AsSpan(0, take));
                sb.Append(line).Append("\r\n");
                line.Clear().Append(' ');
                w = w[take..];
            }

            line.Append(w);
        }

        sb.Append(line).Append("\r\n");
        return sb.ToString();
    }

    /// <summary>Encodes text as UTF-8 encoded-words separated by spaces, splitting only between characters.</summary>
    public static string EncodeWords(string text)
    {
        const string prefix = "=?utf-8?B?";
        const string suffix = "?=";
        var maxBytes = (MaxEncodedWord - prefix.Length - suffix.Length) / 4 * 3; // whole base64 quanta
        var sb = new StringBuilder();
        var chunk = new StringBuilder();
        var chunkBytes = 0;
        var e = System.Globalization.StringInfo.GetTextElementEnumerator(text);
        while (e.MoveNext())
        {
            var element = (string)e.Current;
            var n = Encoding.UTF8.GetByteCount(element);
            if (chunkBytes + n > maxBytes && chunk.Length > 0)
            {
                Append(sb, chunk.ToString());
                chunk.Clear();
                chunkBytes = 0;
            }

            chunk.Append(element);
            chunkBytes += n;
        }

        if (chunk.Length > 0 || sb.Length == 0)
        {
            Append(sb, chunk.ToString());
        }

        return sb.ToString();

        static void Append(StringBuilder sb, string part)
        {
            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(prefix).Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(part))).Append(suffix);
        }
    }

    private static bool IsPrintableAscii(string s)
    {
        foreach (var c in s)
        {
            if (c < 0x20 || c > 0x7e)
            {
                return false;
            }
        }

        return true;
    }
}
