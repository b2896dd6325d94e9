using System.Globalization;
using System.Text;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// The keyword table of one folder (dovecot-keywords): index 0–25 ↔ keyword, index i is the letter 'a' + i in the
/// file names' <c>:2,</c> info. Immutable; <see cref="Add"/> returns a new table. Keyword lookup is
/// case-insensitive (IMAP keywords are atoms compared case-insensitively by clients; the first spelling wins).
/// </summary>
public sealed class MaildirKeywords
{
    /// <summary>Letters a–z: a Maildir file name can carry at most 26 distinct keywords per folder.</summary>
    public const int MaxKeywords = 26;

    private readonly string?[] _byIndex;

    private MaildirKeywords(string?[] byIndex) => _byIndex = byIndex;

    public static MaildirKeywords Empty { get; } = new(new string?[MaxKeywords]);

    /// <summary>The keywords by index (null where unused).</summary>
    public IReadOnlyList<string?> ByIndex => _byIndex;

    public int Count => _byIndex.Count(k => k is not null);

    /// <summary>The keyword of an index, or null.</summary>
    public string? this[int index] => index is >= 0 and < MaxKeywords ? _byIndex[index] : null;

    /// <summary>The index of a keyword, or -1.</summary>
    public int IndexOf(string keyword)
    {
        for (var i = 0; i < MaxKeywords; i++)
        {
            if (string.Equals(_byIndex[i], keyword, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The keywords named by a file name's letters (letters with no keyword are skipped).</summary>
    public IReadOnlyList<string> KeywordsOf(MaildirFileName name) =>
        name.KeywordIndexes.Select(i => this[i]).OfType<string>().ToArray();

    /// <summary>
    /// The table with <paramref name="keyword"/> at the lowest free index (or unchanged if present), and its index.
    /// With all 26 letters used the keyword cannot be stored in file names: LimitExceeded (Dovecot then keeps such
    /// keywords only in its binary index; we keep them only in the PostgreSQL index, so reconstruct loses them).
    /// </summary>
    public MaildirResult<(MaildirKeywords Keywords, int Index)> Add(string keyword)
    {
        var problem = KeywordProblem(keyword);
        if (problem is not null)
        {
            return MaildirResult<(MaildirKeywords, int)>.Fail(MaildirFailureKind.InvalidName, problem);
        }

        var existing = IndexOf(keyword);
        if (existing >= 0)
        {
            return MaildirResult<(MaildirKeywords, int)>.Ok((this, existing));
        }

        var free = Array.IndexOf(_byIndex, null);
        if (free < 0)
        {
            return MaildirResult<(MaildirKeywords, int)>.Fail(MaildirFailureKind.LimitExceeded, $"all {MaxKeywords} keyword letters of this folder are in use");
        }

        var copy = (string?[])_byIndex.Clone();
        copy[free] = keyword;
        return MaildirResult<(MaildirKeywords, int)>.Ok((new MaildirKeywords(copy), free));
    }

    /// <summary>
    /// Parses dovecot-keywords: lines <c>&lt;index&gt; &lt;keyword&gt;</c>. Lines that are malformed, out of range
    /// (index ≥ 26, unusable in names) or duplicate an index are ignored, as a tolerant reader must.
    /// </summary>
    public static MaildirKeywords Parse(string text)
    {
        var byIndex = new string?[MaxKeywords];
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0
                || !int.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index >= MaxKeywords
                || byIndex[index] is not null)
            {
                continue;
            }

            var keyword = line[(space + 1)..];
            if (KeywordProblem(keyword) is null)
            {
                byIndex[index] = keyword;
            }
        }

        return new MaildirKeywords(byIndex);
    }

    /// <summary>The file content: one <c>&lt;index&gt; &lt;keyword&gt;</c> line per keyword, ascending, LF-terminated.</summary>
    public string Format()
    {
        var builder = new StringBuilder();
        for (var i = 0; i < MaxKeywords; i++)
        {
            if (_byIndex[i] is { } keyword)
            {
                builder.Append(CultureInfo.InvariantCulture, $"{i} {keyword}\n");
            }
        }

        return builder.ToString();
    }

    // RFC 3501 §9: flag-keyword = atom: no space, control, '(' ')' '{' '%' '*' '"' '\' ']'.
    private static string? KeywordProblem(string keyword)
    {
        if (string.IsNullOrEmpty(keyword))
        {
            return "empty keyword";
        }

        foreach (var c in keyword)
        {
            if (c <= ' ' || c >= '\x7f' || "(){%*\"\\]".Contains(c, StringComparison.Ordinal))
            {
                return $"not an IMAP keyword atom: '{keyword}'";
            }
        }

        return null;
    }
}
