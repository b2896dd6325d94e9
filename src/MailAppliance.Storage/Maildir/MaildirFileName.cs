using System.Globalization;
using System.Text;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// A Maildir message file name: <c>&lt;base&gt;[:&lt;info&gt;]</c>. Dovecot writes the base as
/// <c>&lt;secs&gt;.M&lt;usecs&gt;P&lt;pid&gt;.&lt;host&gt;,S=&lt;size&gt;,W=&lt;vsize&gt;</c> and the info as
/// <c>2,&lt;flags&gt;</c>: system flag letters (DFPRST) then keyword letters a–z (index in dovecot-keywords), all
/// in ASCII order. Names written by other software may lack S=/W=, carry other <c>,key=value</c> fields, other
/// flag letters, or an info of another version: the base is kept verbatim, unknown flag letters survive flag
/// changes, and another version's info is kept until a flag change replaces it with a <c>2,</c> info.
/// Immutable: flag changes return a new name (the base, and so the dovecot-uidlist entry, never changes).
/// </summary>
public sealed class MaildirFileName : IEquatable<MaildirFileName>
{
    /// <summary>Maildir info separator; the info of version 2 is <c>:2,</c> followed by flag letters.</summary>
    public const char InfoSeparator = ':';

    private const string InfoVersion2 = "2,";

    private MaildirFileName(string baseName, string? info, MaildirFlags flags, string keywordLetters, string otherFlagLetters)
    {
        BaseName = baseName;
        Info = info;
        Flags = flags;
        KeywordLetters = keywordLetters;
        OtherFlagLetters = otherFlagLetters;
        Size = FindField(baseName, 'S');
        VirtualSize = FindField(baseName, 'W');
    }

    /// <summary>The name without the info suffix: the unique part plus <c>,S=</c>/<c>,W=</c> fields. This is what dovecot-uidlist records.</summary>
    public string BaseName { get; }

    /// <summary>The raw info after <c>:</c> (e.g. <c>2,FS</c>), or null for a name without one (as in <c>new/</c>).</summary>
    public string? Info { get; }

    /// <summary>True when the info is version 2 (<c>2,…</c>), the only version with flags.</summary>
    public bool HasFlagInfo => Info is not null && Info.StartsWith(InfoVersion2, StringComparison.Ordinal);

    public MaildirFlags Flags { get; }

    /// <summary>The keyword letters (a–z), sorted and distinct; letter a = index 0 of dovecot-keywords.</summary>
    public string KeywordLetters { get; }

    /// <summary>Flag letters of the <c>2,</c> info that are neither DFPRST nor a–z, kept so a rename does not drop them.</summary>
    public string OtherFlagLetters { get; }

    /// <summary>The <c>S=</c> field: the file size in bytes, when present.</summary>
    public long? Size { get; }

    /// <summary>The <c>W=</c> field: the size with CRLF line ends (IMAP RFC822.SIZE), when present.</summary>
    public long? VirtualSize { get; }

    /// <summary>The keyword indexes (0–25) of <see cref="KeywordLetters"/>.</summary>
    public IReadOnlyList<int> KeywordIndexes => KeywordLetters.Select(c => c - 'a').ToArray();

    /// <summary>The full file name.</summary>
    public string FullName => Info is null ? BaseName : BaseName + InfoSeparator + Info;

    public override string ToString() => FullName;

    /// <summary>
    /// Parses a file name found in <c>cur/</c> or <c>new/</c>. Refuses only names that cannot be message files
    /// (empty, starting with '.', containing '/', NUL or a line break); everything else parses.
    /// </summary>
    public static MaildirResult<MaildirFileName> Parse(string fileName)
    {
        if (string.IsNullOrEmpty(fileName))
        {
            return MaildirResult<MaildirFileName>.Fail(MaildirFailureKind.InvalidName, "empty file name");
        }

        // Maildir readers skip dot files; '/', NUL and line breaks cannot be in a file name or a dovecot-uidlist line.
        if (fileName[0] == '.' || fileName.AsSpan().IndexOfAny("/\0\r\n") >= 0)
        {
            return MaildirResult<MaildirFileName>.Fail(MaildirFailureKind.InvalidName, $"not a message file name: '{fileName}'");
        }

        // Dovecot splits at the first ':' (MAILDIR_INFO_SEP); the host part never contains one (it escapes it as \072).
        var colon = fileName.IndexOf(InfoSeparator, StringComparison.Ordinal);
        if (colon == 0)
        {
            return MaildirResult<MaildirFileName>.Fail(MaildirFailureKind.InvalidName, $"empty base name: '{fileName}'");
        }

        if (colon < 0)
        {
            return MaildirResult<MaildirFileName>.Ok(new MaildirFileName(fileName, null, MaildirFlags.None, "", ""));
        }

        var baseName = fileName[..colon];
        var info = fileName[(colon + 1)..];
        if (!info.StartsWith(InfoVersion2, StringComparison.Ordinal))
        {
            return MaildirResult<MaildirFileName>.Ok(new MaildirFileName(baseName, info, MaildirFlags.None, "", ""));
        }

        var flags = MaildirFlags.None;
        var keywords = new SortedSet<char>();
        var others = new SortedSet<char>();
        foreach (var letter in info.AsSpan(InfoVersion2.Length))
        {
            var flag = MaildirFlagLetters.FromLetter(letter);
            if (flag != MaildirFlags.None)
            {
                flags |= flag;
            }
            else if (letter is >= 'a' and <= 'z')
            {
                keywords.Add(letter);
            }
            else
            {
                others.Add(letter);
            }
        }

        var parsed = new MaildirFileName(baseName, info, flags, string.Concat(keywords), string.Concat(others));
        return MaildirResult<MaildirFileName>.Ok(parsed);
    }

    /// <summary>A name without info (as delivered into <c>new/</c>) for a base name.</summary>
    public static MaildirResult<MaildirFileName> FromBaseName(string baseName)
    {
        if (baseName.Contains(InfoSeparator, StringComparison.Ordinal))
        {
            return MaildirResult<MaildirFileName>.Fail(MaildirFailureKind.InvalidName, $"a base name has no ':': '{baseName}'");
        }

        return Parse(baseName);
    }

    /// <summary>
    /// The name with a <c>2,</c> info holding exactly these flags and keyword indexes (0–25), letters sorted in ASCII
    /// order as Dovecot writes them. Unknown flag letters of the current name are kept.
    /// </summary>
    public MaildirFileName WithFlags(MaildirFlags flags, IEnumerable<int> keywordIndexes)
    {
        var keywordLetters = new SortedSet<char>();
        foreach (var index in keywordIndexes)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(index, MaildirKeywords.MaxKeywords - 1);
            keywordLetters.Add((char)('a' + index));
        }

        var letters = new SortedSet<char>(MaildirFlagLetters.ToLetters(flags));
        letters.UnionWith(keywordLetters);
        letters.UnionWith(OtherFlagLetters);
        var info = InfoVersion2 + string.Concat(letters);
        return new MaildirFileName(BaseName, info, flags, string.Concat(keywordLetters), OtherFlagLetters);
    }

    /// <summary>The same name with the info removed (the form used in <c>new/</c>).</summary>
    public MaildirFileName WithoutInfo() => new(BaseName, null, MaildirFlags.None, "", "");

    /// <summary>
    /// Appends <c>,S=&lt;size&gt;,W=&lt;vsize&gt;</c> to a freshly generated unique part, as Dovecot does when it
    /// moves a saved message out of <c>tmp/</c>.
    /// </summary>
    public static MaildirFileName Create(string uniquePart, long size, long virtualSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualSize, size);
        var baseName = string.Create(CultureInfo.InvariantCulture, $"{uniquePart},S={size},W={virtualSize}");
        var parsed = FromBaseName(baseName);
        return parsed.Succeeded ? parsed.Value : throw new ArgumentException(parsed.Failure.Reason, nameof(uniquePart));
    }

    /// <summary>
    /// Escapes a host name for the unique part as Dovecot does ('/' → <c>\057</c>, ':' → <c>\072</c>); we also escape
    /// ',' (<c>\054</c>) so the host can never fake a <c>,S=</c> field, and control characters.
    /// </summary>
    public static string EscapeHostName(string hostName)
    {
        var builder = new StringBuilder(hostName.Length);
        foreach (var c in hostName)
        {
            if (c is '/' or ':' or ',' or '\\' || char.IsControl(c))
            {
                builder.Append('\\').Append(Convert.ToString(c & 0xFF, 8).PadLeft(3, '0'));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    // Dovecot's maildir_filename_get_size(): the fields after the unique part are ",<key>=<digits>".
    private static long? FindField(string baseName, char key)
    {
        var parts = baseName.Split(',');
        for (var i = 1; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.Length > 2 && part[0] == key && part[1] == '='
                && long.TryParse(part.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }

    public bool Equals(MaildirFileName? other) => other is not null && string.Equals(FullName, other.FullName, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as MaildirFileName);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(FullName);
}
