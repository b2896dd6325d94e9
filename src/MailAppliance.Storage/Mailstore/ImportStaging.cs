using MailAppliance.Storage.Import;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// One imported message on its way into a mailbox: its bytes stream into <c>tmp/</c>, parsed for the index and
/// fingerprinted on the way; <see cref="SealAsync"/> closes the file; the batch commit of
/// <see cref="MailboxImport"/> makes it durable and gives it its UID. Disposing it before the commit removes the file.
/// </summary>
public sealed class ImportStaging : IAsyncDisposable
{
    private readonly MaildirDelivery _file;
    private readonly MessageIndexer _indexer = new();
    private readonly bool _fsync;
    private readonly int _maxSearchTextBytes;

    internal ImportStaging(MaildirDelivery file, bool fsync, int maxSearchTextBytes)
    {
        _file = file;
        _fsync = fsync;
        _maxSearchTextBytes = maxSearchTextBytes;
        Body = new TapStream(this);
    }

    /// <summary>Write the message here (raw bytes, LF or CRLF line ends, as the message should be served).</summary>
    public Stream Body { get; }

    public ImportFingerprint Fingerprint { get; } = new();

    /// <summary>The source's UID, kept when the target mailbox keeps the source's UIDs.</summary>
    public uint? SourceUid { get; init; }

    public MaildirFlags Flags { get; set; }

    public IReadOnlyList<string> Keywords { get; set; } = [];

    /// <summary>IMAP INTERNALDATE; null: now.</summary>
    public DateTimeOffset? InternalDate { get; init; }

    internal MaildirDelivery File => _file;

    internal IndexedMessage? Index { get; private set; }

    internal MaildirFileName? Name { get; private set; }

    internal DateTimeOffset StoredDate { get; private set; }

    /// <summary>Set by the commit: the UID the message got (0: left out, already present).</summary>
    public uint Uid { get; internal set; }

    internal MaildirEntry? Entry { get; set; }

    public long Size => Fingerprint.Length;

    /// <summary>Closes the file (fsync'd here only in <c>Fsync</c> mode; else the batch shares one barrier) and indexes it.</summary>
    public async Task SealAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        Name = await _file.SealForBatchAsync(InternalDate ?? now, _fsync, cancellationToken);
        await using (var stored = new FileStream(_file.TmpPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024, FileOptions.SequentialScan))
        {
            Index = _indexer.Complete(stored, _maxSearchTextBytes);
        }

        StoredDate = new DateTimeOffset(System.IO.File.GetLastWriteTimeUtc(_file.TmpPath), TimeSpan.Zero);
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();

    private sealed class TapStream(ImportStaging owner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => owner.Fingerprint.Length;

        public override long Position
        {
            get => owner.Fingerprint.Length;
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            owner._indexer.Write(buffer);
            owner.Fingerprint.Write(buffer);
            owner._file.Body.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            owner._indexer.Write(buffer.Span);
            owner.Fingerprint.Write(buffer.Span);
            await owner._file.Body.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
