using MailAppliance.Storage.Durability;
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
    private MaildirFileName? _sealedName;
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
    /// Makes the message durable and visible: <see cref="SealAsync"/> then <see cref="PublishAsync"/>.
    /// <paramref name="internalDate"/> becomes the file's mtime (IMAP INTERNALDATE; default: now). Returns the entry
    /// as it now exists in <c>new/</c> or <c>cur/</c>. If the directory fsync fails after the move, the exception is
    /// raised although the file is in place: treat the delivery as failed and retry (at-least-once).
    /// </summary>
    public async Task<MaildirEntry> CommitAsync(
        MaildirFlags flags = MaildirFlags.None,
        IReadOnlyCollection<int>? keywordIndexes = null,
        DateTimeOffset? internalDate = null,
        CancellationToken cancellationToken = default)
    {
        await SealAsync(internalDate, cancellationToken);
        return await PublishAsync(flags, keywordIndexes, cancellationToken);
    }

    /// <summary>
    /// First half of a commit: the bytes are fsync'd in <c>tmp/</c> and the final name (without the <c>:2,</c>
    /// info) is fixed, so that an index can record it before the message becomes visible.
    /// </summary>
    public Task<MaildirFileName> SealAsync(DateTimeOffset? internalDate = null, CancellationToken cancellationToken = default) =>
        SealAsync(internalDate, barrier: null, cancellationToken);

    /// <summary>
    /// <see cref="SealAsync(DateTimeOffset?, CancellationToken)"/>; with a <paramref name="barrier"/>, the bytes are
    /// made durable by a file system flush shared with other writers instead of an fsync of this file.
    /// </summary>
    public async Task<MaildirFileName> SealAsync(DateTimeOffset? internalDate, IFileSystemBarrier? barrier, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_sealedName is not null)
        {
            return _sealedName;
        }

        await _file.FlushAsync(cancellationToken);
        if (internalDate is { } date)
        {
            File.SetLastWriteTimeUtc(_file.SafeFileHandle, date.UtcDateTime);
        }

        if (barrier is null)
        {
            FileSystemSync.FsyncFile(_file);
            await _file.DisposeAsync();
        }
        else
        {
            await _file.DisposeAsync();
            await barrier.SyncAsync(_folder.TmpPath);
        }
        _sealedName = MaildirFileName.Create(_uniquePart, _body.BytesWritten, _body.BytesWritten + _body.BareLineFeeds);
        return _sealedName;
    }

    /// <summary>
    /// Second half of a commit: moves the sealed file, without overwriting, into <c>new/</c> (no flags) or
    /// <c>cur/</c> (with flags or keywords) and fsyncs that directory. If the name is taken (a clash of unique parts
    /// across processes), a fresh unique part is generated and the move retried; the returned entry has the name used.
    /// </summary>
    public Task<MaildirEntry> PublishAsync(
        MaildirFlags flags = MaildirFlags.None,
        IReadOnlyCollection<int>? keywordIndexes = null,
        CancellationToken cancellationToken = default) =>
        PublishAsync(flags, keywordIndexes, syncDirectory: true, cancellationToken);

    /// <summary>
    /// <see cref="PublishAsync(MaildirFlags, IReadOnlyCollection{int}?, CancellationToken)"/>; with
    /// <paramref name="syncDirectory"/> false the caller fsyncs the target directory itself (once for many
    /// messages) before it counts the move as durable.
    /// </summary>
    public async Task<MaildirEntry> PublishAsync(
        MaildirFlags flags,
        IReadOnlyCollection<int>? keywordIndexes,
        bool syncDirectory,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        var sealedName = _sealedName ?? await SealAsync(null, cancellationToken);
        keywordIndexes ??= [];
        var toCur = flags != MaildirFlags.None || keywordIndexes.Count > 0;
        var targetDirectory = toCur ? _folder.CurPath : _folder.NewPath;
        var name = sealedName;
        for (var attempt = 1; ; attempt++)
        {
            var fullName = toCur ? name.WithFlags(flags, keywordIndexes) : name;
            var target = Path.Combine(targetDirectory, fullName.FullName);
            try
            {
                // Not overwriting: .NET moves with link()+unlink() here, which fails with EEXIST instead of clobbering.
                File.Move(TmpPath, target, overwrite: false);
            }
            catch (IOException exception) when (IoErrors.IsAlreadyExists(exception) && attempt < MaxNameAttempts)
            {
                name = MaildirFileName.Create(_names.NextUniquePart(), sealedName.Size ?? 0, sealedName.VirtualSize ?? 0);
                continue;
            }

            _done = true;
            if (syncDirectory)
            {
                FileSystemSync.FsyncDirectory(targetDirectory);
            }

            var mtime = File.GetLastWriteTimeUtc(target);
            return new MaildirEntry(target, fullName, !toCur, sealedName.Size ?? 0, new DateTimeOffset(mtime, TimeSpan.Zero));
        }
    }

    /// <summary>
    /// Gives up ownership of a sealed tmp file without deleting it: an index already refers to it and start-up
    /// recovery will publish it.
    /// </summary>
    public void KeepForRecovery()
    {
        _done = true;
        _file.Dispose();
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
