namespace MailAppliance.Storage.Maildir;

/// <summary>
/// A message file found in a folder's <c>new/</c> or <c>cur/</c>. <see cref="Size"/> is the <c>S=</c> field when
/// present (else the file size); <see cref="InternalDate"/> is the file's mtime, which Maildir uses as IMAP
/// INTERNALDATE.
/// </summary>
public sealed record MaildirEntry(string Path, MaildirFileName Name, bool IsNew, long Size, DateTimeOffset InternalDate)
{
    public string BaseName => Name.BaseName;

    public MaildirFlags Flags => Name.Flags;

    /// <summary>The <c>W=</c> field (RFC822.SIZE with CRLF line ends), when the name carries it.</summary>
    public long? VirtualSize => Name.VirtualSize;
}
