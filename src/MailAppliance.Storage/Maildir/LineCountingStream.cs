namespace MailAppliance.Storage.Maildir;

/// <summary>
/// A write-only pass-through that counts bytes and bare LFs (LF not preceded by CR) so a delivery can name the file
/// with <c>S=</c> (bytes on disk) and <c>W=</c> (size with every line end as CRLF, i.e. bytes + bare LFs) without a
/// second read.
/// </summary>
internal sealed class LineCountingStream(Stream inner) : Stream
{
    private bool _lastWasCr;

    public long BytesWritten { get; private set; }

    public long BareLineFeeds { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => BytesWritten;

    public override long Position
    {
        get => BytesWritten;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Count(buffer);
        inner.Write(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Count(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Count(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        var rest = buffer;
        var previousIsCr = _lastWasCr;
        while (true)
        {
            var lf = rest.IndexOf((byte)'\n');
            if (lf < 0)
            {
                break;
            }

            var crBefore = lf > 0 ? rest[lf - 1] == (byte)'\r' : previousIsCr;
            if (!crBefore)
            {
                BareLineFeeds++;
            }

            previousIsCr = false;
            rest = rest[(lf + 1)..];
        }

        _lastWasCr = buffer[^1] == (byte)'\r';
        BytesWritten += buffer.Length;
    }
}
