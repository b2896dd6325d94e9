namespace MailAppliance.Storage.Maildir;

/// <summary>
/// A folder's <c>dovecot-keywords</c> file. Reads take no lock (the file is replaced atomically); adding a
/// keyword is a read-modify-write under the dot-lock <c>dovecot-keywords.lock</c>, so two processes never give
/// two keywords the same letter.
/// </summary>
public static class KeywordsFile
{
    public const string FileName = "dovecot-keywords";

    public static string PathIn(string folderPath) => Path.Combine(folderPath, FileName);

    /// <summary>The folder's keywords; empty when the file does not exist.</summary>
    public static MaildirKeywords Read(string folderPath)
    {
        var text = AtomicFile.ReadAllTextOrNull(PathIn(folderPath));
        return text is null ? MaildirKeywords.Empty : MaildirKeywords.Parse(text);
    }

    /// <summary>Replaces the file atomically (temp file, fsync, rename, directory fsync).</summary>
    public static Task WriteAsync(string folderPath, MaildirKeywords keywords, CancellationToken cancellationToken) =>
        AtomicFile.ReplaceAsync(PathIn(folderPath), keywords.Format(), cancellationToken);

    /// <summary>
    /// The index of <paramref name="keyword"/>, assigning the lowest free one and saving the file if it is new.
    /// LimitExceeded when all 26 letters are taken; InvalidName when it is not an IMAP atom.
    /// </summary>
    public static async Task<MaildirResult<int>> GetOrAddAsync(
        string folderPath, string keyword, DotLockOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var current = Read(folderPath);
        var existing = current.IndexOf(keyword);
        if (existing >= 0)
        {
            return MaildirResult<int>.Ok(existing);
        }

        using var dotLock = await DotLock.AcquireAsync(PathIn(folderPath), options, time, cancellationToken);

        // Re-read under the lock: another process may have added it meanwhile.
        var fresh = Read(folderPath);
        var index = fresh.IndexOf(keyword);
        if (index >= 0)
        {
            return MaildirResult<int>.Ok(index);
        }

        var added = fresh.Add(keyword);
        if (!added.Succeeded)
        {
            return MaildirResult<int>.Fail(added.Failure);
        }

        (var keywords, index) = added.Value;
        await WriteAsync(folderPath, keywords, cancellationToken);
        return MaildirResult<int>.Ok(index);
    }
}
