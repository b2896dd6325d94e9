namespace MailAppliance.Storage.Maildir;

/// <summary>
/// One message being written into a folder, as a transaction (STYLE.md rule 6): the bytes go to a new file in
/// <c>tmp/</c> (created O_EXCL, 0600); <see cref="CommitAsync"/> fsyncs it, moves it without overwriting into
/// <c>new/</c> (no flags, as Maildir delivery does) or <c>cur/</c> (with a <c>:2,</c> info when flags or keywords
/// are given), named <c>&lt;unique&gt;,S=&lt;bytes&gt;,W=&lt;bytes with CRLF&gt;</c> like Dovecot, and fsyncs that
/// directory. Disposing without a commit deletes the tmp file. Bytes are stored exactly as written (CRLF as received).
/// </summary>
public sealed class MaildirDelivery : IDisposable, IAsyncDisposable
{
    private const int MaxNameAttempts = 8;

    private readonly MaildirFolder _folder;
    private readonly MaildirNameGenerator _names;
    private readonly string _uniquePart;
    private readonly FileStream _file;
    private readonly LineCountingStream _body;
    private bool _done;

    internal MaildirDelivery(MaildirFolder folder, MaildirNameGenerator names, string uniquePart, string tmpPath, FileStream file)
    {
        _folder = folder;
        _names = names;
        _uniquePart = uniquePart;
        TmpPath = tmpPath;
        _file = file;
        _body = new LineCountingStream(file);
    }

    /// <summary>Where the message is written until commit.</summary>
    public string TmpPath { get; }

    /// <summary>Write the message here (raw bytes; not buffered whole in memory). Do not dispose it.</summary>
    public Stream Body => _body;

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten => _body.BytesWritten;

    /// <summary>
    /// Makes the message durable and visible. <paramref name="internalDate"/> becomes the file's mtime (IMAP
    /// INTERNALDATE; default: now). Returns the entry as it now exists in <c>new/</c> or <c>cur/</c>. If the final
    /// name is taken (a clash of unique parts across processes), a fresh unique part is generated and the move retried.
    /// If the directory fsync fails after the move, the exception is raised although the file is in place: treat the
    /// delivery as failed and retry (at-least-once).
    /// </summary>
    public async Task<MaildirEntry> CommitAsync(
        MaildirFlags flags = MaildirFlags.None,
        IReadOnlyCollection<int>? keywordIndexes = null,
        DateTimeOffset? internalDate = null,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        keywordIndexes ??= [];
        var toCur = flags != MaildirFlags.None || keywordIndexes.Count > 0;

        await _file.FlushAsync(cancellationToken);
        if (internalDate is { } date)
        {
            File.SetLastWriteTimeUtc(_file.SafeFileHandle, date.UtcDateTime);
        }

        FileSystemSync.FsyncFile(_file);
        await _file.DisposeAsync();

        var size = _body.BytesWritten;
        var virtualSize = size + _body.BareLineFeeds;
        var targetDirectory = toCur ? _folder.CurPath : _folder.NewPath;
        var uniquePart = _uniquePart;
        for (var attempt = 1; ; attempt++)
        {
            var name = MaildirFileName.Create(uniquePart, size, virtualSize);
            if (toCur)
            {
                name = name.WithFlags(flags, keywordIndexes);
            }

            var target = Path.Combine(targetDirectory, name.FullName);
            try
            {
                // Not overwriting: .NET moves with link()+unlink() here, which fails with EEXIST instead of clobbering.
                File.Move(TmpPath, target, overwrite: false);
            }
            catch (IOException exception) when (IoErrors.IsAlreadyExists(exception) && attempt < MaxNameAttempts)
            {
                uniquePart = _names.NextUniquePart();
                continue;
            }

            _done = true;
            FileSystemSync.FsyncDirectory(targetDirectory);
            var mtime = File.GetLastWriteTimeUtc(target);
            return new MaildirEntry(target, name, !toCur, size, new DateTimeOffset(mtime, TimeSpan.Zero));
        }
    }

    /// <summary>Aborts an uncommitted delivery: the tmp file is closed and deleted.</summary>
    public void Dispose()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        _file.Dispose();
        File.Delete(TmpPath);
    }

    public async ValueTask DisposeAsync()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        await _file.DisposeAsync();
        File.Delete(TmpPath);
    }
}
