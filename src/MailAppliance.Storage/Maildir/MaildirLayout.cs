namespace MailAppliance.Storage.Maildir;

/// <summary>
/// Where a user's Maildir lives: <c>&lt;DataDirectory&gt;/mail/&lt;domain&gt;/&lt;localpart&gt;/Maildir/</c> (DESIGN.md),
/// with domain and local part mapped by <see cref="PathSegmentCodec"/> (the domain lower-cased first: domains are
/// case-insensitive, RFC 1035 §2.3.3; local parts are kept as given, RFC 5321 §2.4). Every path handed out is
/// checked to stay inside its root.
/// </summary>
public sealed class MaildirLayout
{
    /// <summary>The directory under the user's directory that is the Maildir root (INBOX).</summary>
    public const string MaildirDirectoryName = "Maildir";

    public MaildirLayout(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        DataDirectory = Path.GetFullPath(dataDirectory);
        MailDirectory = Path.Combine(DataDirectory, "mail");
    }

    public string DataDirectory { get; }

    /// <summary><c>&lt;DataDirectory&gt;/mail</c>.</summary>
    public string MailDirectory { get; }

    /// <summary>
    /// The Maildir root of a user. Pass the domain in its stored A-label form and the local part as the directory
    /// stores it (dequoted or quoted: the mapping is injective over all strings, so either is collision-free as
    /// long as the caller is consistent).
    /// </summary>
    public MaildirResult<string> GetUserMaildirPath(string domain, string localPart)
    {
        var domainSegment = PathSegmentCodec.Encode(domain.ToLowerInvariant());
        if (!domainSegment.Succeeded)
        {
            return domainSegment;
        }

        var localSegment = PathSegmentCodec.Encode(localPart);
        if (!localSegment.Succeeded)
        {
            return localSegment;
        }

        var path = Path.Combine(MailDirectory, domainSegment.Value, localSegment.Value, MaildirDirectoryName);
        return EnsureInside(MailDirectory, path);
    }

    /// <summary>
    /// The inverse of <see cref="GetUserMaildirPath"/> for a directory found under <see cref="MailDirectory"/>
    /// (used by reconstruct --all): the domain and local part, or a failure for names we did not write.
    /// </summary>
    public static MaildirResult<(string Domain, string LocalPart)> DecodeUserDirectory(string domainSegment, string localPartSegment)
    {
        var domain = PathSegmentCodec.Decode(domainSegment);
        var local = PathSegmentCodec.Decode(localPartSegment);
        if (!domain.Succeeded)
        {
            return MaildirResult<(string, string)>.Fail(domain.Failure);
        }

        if (!local.Succeeded)
        {
            return MaildirResult<(string, string)>.Fail(local.Failure);
        }

        if (!string.Equals(domain.Value, domain.Value.ToLowerInvariant(), StringComparison.Ordinal))
        {
            return MaildirResult<(string, string)>.Fail(MaildirFailureKind.InvalidName, $"domain directory is not lower case: '{domainSegment}'");
        }

        return MaildirResult<(string, string)>.Ok((domain.Value, local.Value));
    }

    /// <summary>The directory of a mailbox inside a Maildir root: the root itself for INBOX, else <c>root/.A.B</c>.</summary>
    public static MaildirResult<string> GetFolderPath(string maildirRoot, MailboxName mailbox)
    {
        var root = Path.GetFullPath(maildirRoot);
        return mailbox.IsInbox ? MaildirResult<string>.Ok(root) : EnsureInside(root, Path.Combine(root, mailbox.ToFolderDirectoryName()));
    }

    /// <summary>
    /// The full form of <paramref name="path"/> if it is <paramref name="root"/> or below it, lexically (after
    /// resolving "." and ".."); a failure otherwise. Symbolic links inside the tree are trusted, as Dovecot does.
    /// </summary>
    public static MaildirResult<string> EnsureInside(string root, string path)
    {
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var inside = fullPath == fullRoot
            || fullPath.StartsWith(fullRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        return inside
            ? MaildirResult<string>.Ok(fullPath)
            : MaildirResult<string>.Fail(MaildirFailureKind.InvalidName, $"path escapes its root: '{path}'");
    }
}
