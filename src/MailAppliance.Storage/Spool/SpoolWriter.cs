namespace MailAppliance.Storage.Spool;

/// <summary>A committed spool file opened for delivery: dispose it to close the file.</summary>
public sealed record SpooledMessage(SpoolEnvelope Envelope, SpoolVerdict Verdict, Stream Message) : IAsyncDisposable
{
    /// <summary>
    /// The message after <paramref name="prefix"/> (header fields a delivery adds), as one seekable stream that shares
    /// <see cref="Message"/>'s position: use one at a time.
    /// </summary>
    public Stream WithPrefix(byte[] prefix) => ComposedStream.Compose(Message, prefix, 0, [], Verdict.Removed);

    /// <summary>
    /// The message as a delivery stores it: <paramref name="prefix"/> first (Return-Path, Delivered-To), then the
    /// message with <paramref name="inserted"/> (the verdict's fields) at <see cref="SpoolVerdict.HeadersAt"/> and
    /// without the ranges the verdict removes; one seekable stream sharing <see cref="Message"/>'s position.
    /// </summary>
    public Stream Compose(byte[] prefix, byte[] inserted) => ComposedStream.Compose(Message, prefix, Verdict.HeadersAt, inserted, Verdict.Removed);

    public ValueTask DisposeAsync() => Message.DisposeAsync();
}

/// <summary>
/// One message being spooled: write to <see cref="Body"/>, read it back with <see cref="OpenWritten"/> (the checks
/// before the 250), then <see cref="CommitAsync"/> with the verdict; dispose without commit aborts.
/// </summary>
public sealed class SpoolWriter : IAsyncDisposable
{
    private readonly MessageSpool _spool;
    private readonly string _tmpPath;
    private readonly FileStream _file;
    private readonly long _messageStart;
    private readonly MirroredBody _body;
    private bool _done;

    internal SpoolWriter(MessageSpool spool, SpoolEnvelope envelope, string tmpPath, FileStream file, long messageStart)
    {
        _spool = spool;
        Envelope = envelope;
        _tmpPath = tmpPath;
        _file = file;
        _messageStart = messageStart;
        _body = new MirroredBody(file);
    }

    /// <summary>How much of a message is also kept in memory while it is written, for <see cref="OpenWrittenAsync"/>.</summary>
    internal const int MirrorLimit = 64 * 1024;

    public SpoolEnvelope Envelope { get; }

    /// <summary>Where the message is written: the spool file (disposing it leaves the file open: the writer owns it).</summary>
    public Stream Body => _body;

    /// <summary>The message octets written so far.</summary>
    public long Length => _file.Position - _messageStart;

    /// <summary>A read-only stream of the message as written so far: what checks read.</summary>
    /// <remarks>
    /// A message of up to <see cref="MirrorLimit"/> octets is read from the copy kept in memory while it was written:
    /// each check reading the spool file back cost a flush, an open with a 64 KiB buffer, reads and a close, a few
    /// percent of intake's CPU for mail of a few KiB. A larger one is flushed to the file and read there; the flush
    /// to the kernel is a plain write call (FileStream's async form runs it on another pool thread on Linux, a
    /// hand-off and back for a copy into the page cache that takes microseconds).
    /// </remarks>
    public Task<Stream> OpenWrittenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_body.Mirror is { } mirror)
        {
            // The array itself, not a copy: nothing writes to the message once its checks begin (BDAT runs them
            // after the last chunk).
            return Task.FromResult<Stream>(new MemoryStream(mirror.Buffer, 0, mirror.Length, writable: false));
        }

        _file.Flush();
        var reader = new FileStream(_tmpPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        var end = _file.Position;
        reader.Position = _messageStart;
        return Task.FromResult<Stream>(new SpoolMessageView(reader, _messageStart, end));
    }

    /// <summary>
    /// Makes the message durable with its verdict: trailer written, file flushed to disk, renamed into the spool,
    /// directory durable. Only then 250.
    /// </summary>
    public async Task CommitAsync(SpoolVerdict verdict, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _file.Write(SpoolFormat.Trailer(verdict)); // into the page cache: no hand-off to another thread (OpenWrittenAsync)
        _file.Flush();
        await _spool.SealAsync(_file, _tmpPath, Envelope.QueueId);
        _done = true;
        await _file.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        try
        {
            await _file.DisposeAsync();
        }
        catch (IOException)
        {
            // Aborting on a full disk: the buffered bytes that do not fit are thrown away with the file. Found by
            // the disk-full test: the flush's ENOSPC escaped here, closed the SMTP session after its 452 and left
            // the half-written file in spool/tmp.
        }
        finally
        {
            File.Delete(_tmpPath);
        }
    }
}

/// <summary>
/// The spool file as the message's writers see it: every write goes to the file, and the first
/// <see cref="SpoolWriter.MirrorLimit"/> octets also into memory (dropped as soon as the message outgrows it).
/// Disposing it leaves the file alone: the writer owns it.
/// </summary>
internal sealed class MirroredBody(FileStream file) : Stream
{
    private byte[]? _mirror = new byte[4096];
    private int _mirrored;

    /// <summary>The whole message so far, if it is still kept in memory.</summary>
    public (byte[] Buffer, int Length)? Mirror => _mirror is null ? null : (_mirror, _mirrored);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        file.Write(buffer);
        Keep(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await file.WriteAsync(buffer, cancellationToken);
        Keep(buffer.Span);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => file.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => file.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Called after the file took the bytes: a failed write (disk full) keeps nothing it did not write.</summary>
    private void Keep(ReadOnlySpan<byte> written)
    {
        if (_mirror is null)
        {
            return;
        }

        var needed = _mirrored + written.Length;
        if (needed > SpoolWriter.MirrorLimit)
        {
            _mirror = null;
            return;
        }

        if (needed > _mirror.Length)
        {
            Array.Resize(ref _mirror, Math.Min(SpoolWriter.MirrorLimit, Math.Max(needed, _mirror.Length * 2)));
        }

        written.CopyTo(_mirror.AsSpan(_mirrored));
        _mirrored = needed;
    }
}
