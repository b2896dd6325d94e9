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
    private bool _done;

    internal SpoolWriter(MessageSpool spool, SpoolEnvelope envelope, string tmpPath, FileStream file, long messageStart)
    {
        _spool = spool;
        Envelope = envelope;
        _tmpPath = tmpPath;
        _file = file;
        _messageStart = messageStart;
    }

    public SpoolEnvelope Envelope { get; }

    public Stream Body => _file;

    /// <summary>The message octets written so far.</summary>
    public long Length => _file.Position - _messageStart;

    /// <summary>A read-only stream of the message as written so far (flushed to the file first): what checks read.</summary>
    /// <remarks>
    /// The flush to the kernel is a plain write call: FileStream's async form runs it on another pool thread on Linux,
    /// a thread hand-off (and back) for a copy into the page cache that takes microseconds.
    /// </remarks>
    public Task<Stream> OpenWrittenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
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
