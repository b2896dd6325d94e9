namespace MailAppliance.Mime;

/// <summary>
/// A read-only stream that serves its inner stream with every bare LF turned into CRLF (existing CRLFs and lone
/// CRs are left alone), so LF-only message files are served in IMAP's CRLF terms. Optionally reads only
/// <c>rawLength</c> bytes of the inner stream from its current position. With <c>replaceNul</c>, NUL bytes are
/// served as 0x80 (RFC 3501 §4.3: literals cannot hold NUL; Dovecot does the same), so sizes do not change.
/// </summary>
public sealed class CrlfNormalizingStream : Stream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private static readonly System.Buffers.SearchValues<byte> LfOrNul = System.Buffers.SearchValues.Create([(byte)'\n', 0]);
    // Pooled: a FETCH of many messages opens one of these per message.
    private byte[] _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
    private long _remaining;
    private int _start;
    private int _end;
    private bool _previousWasCr;
    private bool _pendingLf;
    private long _position;
    private readonly bool _replaceNul;

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="rawLength"/> &lt; 0 reads to its end.</summary>
    public CrlfNormalizingStream(Stream inner, long rawLength = -1, bool leaveOpen = false, bool previousWasCr = false, bool replaceNul = false)
    {
        _replaceNul = replaceNul;
        _inner = inner;
        _remaining = rawLength < 0 ? long.MaxValue : rawLength;
        _leaveOpen = leaveOpen;
        _previousWasCr = previousWasCr;
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length)
        {
            if (_pendingLf)
            {
                buffer[written++] = (byte)'\n';
                _pendingLf = false;
                _previousWasCr = false;
                continue;
            }

            if (_start == _end && !Fill())
            {
                break;
            }

            // Copy the run up to the next byte that needs care (LF, or NUL when it is replaced) in one piece: most
            // files are already CRLF, so this copies whole buffers.
            var available = _buffer.AsSpan(_start, Math.Min(_end - _start, buffer.Length - written));
            var special = _replaceNul ? available.IndexOfAny(LfOrNul) : available.IndexOf((byte)'\n');
            var run = special < 0 ? available.Length : special;
            if (run > 0)
            {
                available[..run].CopyTo(buffer[written..]);
                written += run;
                _start += run;
                _previousWasCr = available[run - 1] == (byte)'\r';
                continue;
            }

            var b = _buffer[_start++];
            if (b == (byte)'\n' && !_previousWasCr)
            {
                buffer[written++] = (byte)'\r';
                _pendingLf = true;
                continue;
            }

            buffer[written++] = b == 0 ? (byte)0x80 : b;
            _previousWasCr = false;
        }

        _position += written;
        return written;
    }

    /// <inheritdoc />
    /// <remarks>Synchronous underneath: message files are read from the page cache, and the thread-pool hop of
    /// <see cref="Stream"/>'s default asynchronous read costs more than the read.</remarks>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            _inner.Dispose();
        }

        if (disposing && _buffer.Length > 0)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            _start = _end = 0;
            _remaining = 0;
        }

        base.Dispose(disposing);
    }

    private bool Fill()
    {
        if (_remaining <= 0)
        {
            return false;
        }

        var n = _inner.Read(_buffer, 0, (int)Math.Min(_buffer.Length, _remaining));
        if (n <= 0)
        {
            _remaining = 0;
            return false;
        }

        _remaining -= n;
        _start = 0;
        _end = n;
        return true;
    }
}
