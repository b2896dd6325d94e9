namespace MailAppliance.Storage.Spool;

/// <summary>A read-only view of the message part of a spool file, which reports its own length.</summary>
internal sealed class SpoolMessageView(FileStream inner, long start, long end) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => end - start;

    public override long Position
    {
        get => inner.Position - start;
        set => inner.Position = start + value;
    }

    private long Left => Math.Max(0, end - inner.Position);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, (int)Math.Min(count, Left));

    public override int Read(Span<byte> buffer) => inner.Read(buffer[..(int)Math.Min(buffer.Length, Left)]);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, Left)], cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => origin switch
    {
        SeekOrigin.Begin => inner.Seek(start + offset, SeekOrigin.Begin) - start,
        SeekOrigin.Current => inner.Seek(offset, SeekOrigin.Current) - start,
        _ => inner.Seek(end + offset, SeekOrigin.Begin) - start,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
