namespace MailAppliance.Storage.Maildir;

/// <summary>
/// The result of listing a Maildir root: INBOX first, then the folders in name order, and the <c>.</c> directories
/// that could not be mapped to a mailbox name (with the reason), for reconstruct to report.
/// </summary>
public sealed record MaildirFolderListing(IReadOnlyList<MaildirFolderInfo> Folders, IReadOnlyList<(string DirectoryName, MaildirFailure Failure)> Skipped);
