namespace MailAppliance.Storage.Maildir;

/// <summary>
/// A user's Maildir++ tree (Dovecot's LAYOUT=maildir++): the root directory is INBOX, each other mailbox is a
/// <c>.Name</c> directory directly below it (hierarchy flattened with '.', see <see cref="MailboxName"/>), and the
/// root holds <c>subscriptions</c>. Dovecot's own files (<c>dovecot.index*</c>, <c>dovecot-uidvalidity*</c>,
/// <c>dovecot.list.index*</c>, <c>dovecot.mailbox.log</c>) may be present and are ignored.
/// </summary>
public sealed class MaildirRoot
{
    public MaildirRoot(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        Inbox = new MaildirFolder(Path);
    }

    /// <summary>The special-use folders created for a new user (RFC 6154 \Drafts, \Sent, \Junk, \Trash).</summary>
    public static IReadOnlyList<MailboxName> DefaultFolders { get; } =
        new[] { "Drafts", "Sent", "Junk", "Trash" }.Select(n => MailboxName.FromImap(n).Value).ToArray();

    public string Path { get; }

    public MaildirFolder Inbox { get; }

    /// <summary>The folder of a mailbox (whether or not it exists on disk); the path is checked to stay under the root.</summary>
    public MaildirResult<MaildirFolder> GetFolder(MailboxName name)
    {
        var path = MaildirLayout.GetFolderPath(Path, name);
        return path.Succeeded
            ? MaildirResult<MaildirFolder>.Ok(name.IsInbox ? Inbox : new MaildirFolder(path.Value))
            : MaildirResult<MaildirFolder>.Fail(path.Failure);
    }

    /// <summary>
    /// Creates a mailbox's folder (IMAP CREATE). Conflict when it already exists with cur/new/tmp; a half-created
    /// folder is completed. Parents are not created: in Maildir++ they are implicit (Dovecot lists them as
    /// \Noselect until created).
    /// </summary>
    public MaildirResult<MaildirFolder> CreateFolder(MailboxName name)
    {
        var folder = GetFolder(name);
        if (!folder.Succeeded)
        {
            return folder;
        }

        if (folder.Value.Exists)
        {
            return MaildirResult<MaildirFolder>.Fail(MaildirFailureKind.Conflict, $"mailbox '{name}' already exists");
        }

        return MaildirResult<MaildirFolder>.Ok(MaildirFolder.Create(folder.Value.Path, isSubfolder: !name.IsInbox));
    }

    /// <summary>
    /// Sets up a new user's tree: the root (INBOX) and <see cref="DefaultFolders"/>, which are also subscribed.
    /// Idempotent: existing folders and subscriptions are kept.
    /// </summary>
    public async Task InitializeAsync(DotLockOptions lockOptions, TimeProvider time, CancellationToken cancellationToken)
    {
        MaildirFolder.Create(Path, isSubfolder: false);
        foreach (var name in DefaultFolders)
        {
            var folder = GetFolder(name).Value;
            if (!folder.Exists)
            {
                MaildirFolder.Create(folder.Path, isSubfolder: true);
            }

            await SubscriptionsFile.SetSubscribedAsync(Path, name, subscribed: true, lockOptions, time, cancellationToken);
        }
    }

    /// <summary>
    /// INBOX and every <c>.Name</c> directory of the root, decoded. Directories without cur/new/tmp are listed too
    /// (the caller decides; Dovecot shows them as \Noselect). Unmappable directory names are reported, not listed.
    /// </summary>
    public MaildirFolderListing ListFolders()
    {
        var folders = new List<MaildirFolderInfo>();
        var skipped = new List<(string, MaildirFailure)>();
        if (!Directory.Exists(Path))
        {
            return new MaildirFolderListing(folders, skipped);
        }

        foreach (var directory in new DirectoryInfo(Path).EnumerateDirectories(".*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            if (directory.Name is "." or "..")
            {
                continue;
            }

            var name = MailboxName.FromFolderDirectoryName(directory.Name);
            if (name.Succeeded)
            {
                folders.Add(new MaildirFolderInfo(name.Value, new MaildirFolder(directory.FullName)));
            }
            else
            {
                skipped.Add((directory.Name, name.Failure));
            }
        }

        folders.Sort((a, b) => string.CompareOrdinal(a.Name.Name, b.Name.Name));
        folders.Insert(0, new MaildirFolderInfo(MailboxName.Inbox, Inbox));
        skipped.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return new MaildirFolderListing(folders, skipped);
    }
}
