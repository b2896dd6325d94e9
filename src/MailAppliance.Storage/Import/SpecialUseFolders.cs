using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Import;

/// <summary>
/// Maps a source's special-use folders onto ours (Drafts, Sent, Junk, Trash, Archive), so that a move brings no
/// second Sent or Trash: by the RFC 6154 attribute when the source says one, else by the names other servers and
/// clients give these folders at the top level (Outlook's "Sent Items" and "Deleted Items", Apple's "Sent
/// Messages" and "Deleted Messages", "Spam", ...).
/// </summary>
public static class SpecialUseFolders
{
    private static readonly Dictionary<string, string> ByAttribute = new(StringComparer.OrdinalIgnoreCase)
    {
        ["\\Drafts"] = "Drafts",
        ["\\Sent"] = "Sent",
        ["\\Junk"] = "Junk",
        ["\\Trash"] = "Trash",
        ["\\Archive"] = "Archive",
    };

    private static readonly Dictionary<string, string> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Drafts"] = "Drafts",
        ["Draft"] = "Drafts",
        ["Sent"] = "Sent",
        ["Sent Items"] = "Sent",
        ["Sent Messages"] = "Sent",
        ["Sent Mail"] = "Sent",
        ["Junk"] = "Junk",
        ["Junk E-mail"] = "Junk",
        ["Junk Email"] = "Junk",
        ["Spam"] = "Junk",
        ["Trash"] = "Trash",
        ["Deleted Items"] = "Trash",
        ["Deleted Messages"] = "Trash",
        ["Archive"] = "Archive",
    };

    /// <summary>Our folder for a source folder that is a special-use one, else null.</summary>
    public static MailboxName? Map(MailboxName source, string? specialUse)
    {
        if (specialUse is not null && ByAttribute.TryGetValue(specialUse, out var byUse))
        {
            return MailboxName.FromImap(byUse).Value;
        }

        return source.Components.Count == 1 && !source.IsInbox && ByName.TryGetValue(source.Components[0], out var byName)
            ? MailboxName.FromImap(byName).Value
            : null;
    }
}
