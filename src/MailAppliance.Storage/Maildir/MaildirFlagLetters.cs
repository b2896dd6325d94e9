namespace MailAppliance.Storage.Maildir;

/// <summary>Letter mapping of <see cref="MaildirFlags"/>.</summary>
public static class MaildirFlagLetters
{
    /// <summary>The system flag letters in ASCII order, which is the order they are written in.</summary>
    public const string All = "DFPRST";

    public static MaildirFlags FromLetter(char letter) => letter switch
    {
        'D' => MaildirFlags.Draft,
        'F' => MaildirFlags.Flagged,
        'P' => MaildirFlags.Passed,
        'R' => MaildirFlags.Replied,
        'S' => MaildirFlags.Seen,
        'T' => MaildirFlags.Trashed,
        _ => MaildirFlags.None,
    };

    public static string ToLetters(MaildirFlags flags)
    {
        Span<char> letters = stackalloc char[All.Length];
        var count = 0;
        foreach (var letter in All)
        {
            if ((flags & FromLetter(letter)) != 0)
            {
                letters[count++] = letter;
            }
        }

        return new string(letters[..count]);
    }
}
