using System.IO.Compression;

namespace MailAppliance.Core.Net;

/// <summary>
/// One connection's two directions through raw DEFLATE (RFC 1951): reads inflate what the peer sent, writes deflate
/// what goes out, and a flush is a sync flush (the peer can decode everything written so far). The inner stream is
/// left open.
/// </summary>
internal sealed class DeflateDuplexStream : Stream
{
    private readonly DeflateStream _inflate;
    private readonly DeflateStream _deflate;

    public DeflateDuplexStream(Stream inner)
    {
        _inflate = new DeflateStream(inner, CompressionMode.Decompress, leaveOpen: true);
        _deflate = new DeflateStream(inner, CompressionLevel.Fastest, leaveOpen: true);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => _inflate.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inflate.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inflate.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _deflate.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _deflate.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _deflate.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => _deflate.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _deflate.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inflate.Dispose();
            _deflate.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inflate.DisposeAsync().ConfigureAwait(false);
        await _deflate.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
