namespace MailAppliance.Storage.Maildir;

/// <summary>A folder found in a Maildir root: its mailbox name and directory.</summary>
public sealed record MaildirFolderInfo(MailboxName Name, MaildirFolder Folder);
