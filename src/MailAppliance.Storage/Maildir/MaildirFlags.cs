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
