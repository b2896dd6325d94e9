namespace MailAppliance.Storage.Spool;

/// <summary>
/// A seekable read-only stream of a few header lines followed by a message: what a local delivery stores
/// (Return-Path, Delivered-To and the verdict's fields before the spooled bytes) without copying the message.
/// </summary>
internal sealed class PrefixedStream(byte[] prefix, Stream message) : Stream
{
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => prefix.Length + message.Length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position < prefix.Length)
        {
            var n = (int)Math.Min(buffer.Length, prefix.Length - _position);
            prefix.AsSpan((int)_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        Align();
        var read = message.Read(buffer);
        _position += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position < prefix.Length)
        {
            return Read(buffer.Span);
        }

        Align();
        var read = await message.ReadAsync(buffer, cancellationToken);
        _position += read;
        return read;
    }

    /// <summary>The message stream is shared (a message delivered to several users): read it where this stream is.</summary>
    private void Align()
    {
        var want = _position - prefix.Length;
        if (message.Position != want)
        {
            message.Position = want;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target);
        _position = target;
        message.Position = Math.Max(0, target - prefix.Length);
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
