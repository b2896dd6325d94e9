namespace MailAppliance.Storage.Maildir;

/// <summary>
/// The system flags of the Maildir info suffix (<c>:2,</c>), as defined by the maildir specification
/// (cr.yp.to/proto/maildir.html) and used by Dovecot: D = \Draft, F = \Flagged, P = passed (forwarded, no IMAP flag),
/// R = \Answered, S = \Seen, T = \Deleted ("trashed").
/// </summary>
[Flags]
public enum MaildirFlags
{
    None = 0,
    Draft = 1 << 0,
    Flagged = 1 << 1,
    Passed = 1 << 2,
    Replied = 1 << 3,
    Seen = 1 << 4,
    Trashed = 1 << 5,
}

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
