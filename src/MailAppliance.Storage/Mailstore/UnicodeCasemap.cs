using System.Text;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// The i;unicode-casemap comparator (RFC 5051 §2): each character mapped to its titlecase, then the string
/// decomposed (NFKD), so that "Ä", "ä" and "A\u0308" compare equal while "a" does not ("accents count"). IMAP
/// SEARCH compares a folded key with folded text by substring (RFC 9051 §6.4.4), as Dovecot does; the search index
/// stores folded text, so both sides are folded the same way.
/// </summary>
public static class UnicodeCasemap
{
    /// <summary>The folded form of <paramref name="text"/>; lone surrogates become U+FFFD, NUL a space.</summary>
    public static string Fold(ReadOnlySpan<char> text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                // Outside the BMP: the case mappings that exist there (Deseret, Osage, ...) come from the runtime's
                // full-string upper-casing, which is their simple mapping too.
                builder.Append(text.Slice(i, 2).ToString().ToUpperInvariant());
                i++;
                continue;
            }

            builder.Append(c switch
            {
                '\0' => ' ',
                _ when char.IsSurrogate(c) => '\uFFFD',
                _ => TitleCase(c),
            });
        }

        var mapped = builder.ToString();
        return mapped.IsNormalized(NormalizationForm.FormKD) ? mapped : mapped.Normalize(NormalizationForm.FormKD);
    }

    /// <summary>Whether folded <paramref name="text"/> contains folded <paramref name="key"/> (an empty key is in everything).</summary>
    public static bool Contains(string text, string key) => text.Contains(key, StringComparison.Ordinal);

    /// <summary>
    /// The simple titlecase mapping (UnicodeData.txt field 14). It equals the uppercase mapping except for the
    /// digraphs that have a titlecase form of their own (DŽ/Dž/dž → Dž, ...) and Georgian Mkhedruli, whose letters
    /// are their own titlecase although Unicode 11 gave them Mtavruli capitals.
    /// </summary>
    private static char TitleCase(char c) => c switch
    {
        '\u01C4' or '\u01C5' or '\u01C6' => '\u01C5',
        '\u01C7' or '\u01C8' or '\u01C9' => '\u01C8',
        '\u01CA' or '\u01CB' or '\u01CC' => '\u01CB',
        '\u01F1' or '\u01F2' or '\u01F3' => '\u01F2',
        >= '\u10D0' and <= '\u10FA' or >= '\u10FD' and <= '\u10FF' => c,
        < '\u0080' => c is >= 'a' and <= 'z' ? (char)(c - 32) : c,
        _ => char.ToUpperInvariant(c),
    };
}
