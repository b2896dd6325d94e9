using System.Text;
using NpgsqlTypes;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// The words of the full-text index, cut the same way on both sides: a message's text when it is indexed, and the
/// text of an IMAP BODY/TEXT search. A word is a run of letters and digits (Unicode categories L and N), lower-cased
/// invariantly; everything else separates words. The index column holds each distinct word once, without positions
/// (a search matches every word as a prefix, in any order), built here rather than by PostgreSQL's text parser so
/// that indexing costs the database nothing but the insert.
/// </summary>
public static class SearchWords
{
    // PostgreSQL refuses a tsvector lexeme longer than 2,047 bytes ("word is too long"); such a "word" is no word.
    private const int MaxLexemeBytes = 2047;

    /// <summary>The distinct words of <paramref name="text"/>, in order of first appearance.</summary>
    public static List<string> Split(string text)
    {
        var words = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && IsWordChar(text[i]))
            {
                if (start < 0)
                {
                    start = i;
                }

                continue;
            }

            if (start >= 0)
            {
                var word = text[start..i].ToLowerInvariant();
                if (Encoding.UTF8.GetByteCount(word) <= MaxLexemeBytes && seen.Add(word))
                {
                    words.Add(word);
                }

                start = -1;
            }
        }

        return words;
    }

    /// <summary>The index column's value for <paramref name="text"/>.</summary>
    /// <remarks>
    /// Npgsql builds a vector only from its text form, and marks that parser obsolete because it cannot match
    /// PostgreSQL's on arbitrary input (quoting, weights, positions). Here the input is words of letters and digits
    /// separated by single spaces, which has one reading.
    /// </remarks>
#pragma warning disable CS0618
    public static NpgsqlTsVector ToTsVector(string text) => NpgsqlTsVector.Parse(string.Join(' ', Split(text)));
#pragma warning restore CS0618

    private static bool IsWordChar(char c) => char.IsLetter(c) || char.IsNumber(c);
}
