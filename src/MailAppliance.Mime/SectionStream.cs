namespace MailAppliance.Mime;

/// <summary>Serves a <see cref="SectionContent"/> (optionally a partial window) from a seekable message file in CRLF terms.</summary>
internal sealed class SectionStream : Stream
{
    private readonly Stream _file;
    private readonly SectionContent _content;
    private readonly bool _leaveOpen;
    private readonly long _length;
    private long _skip;
    private long _remaining;
    private int _index = -1;
    private CrlfNormalizingStream? _current;
    private int _trailer;
    private long _position;

    public SectionStream(Stream file, SectionContent content, long start, long length, bool leaveOpen)
    {
        _file = file;
        _content = content;
        _leaveOpen = leaveOpen;
        var total = content.CrlfLength;
        _skip = Math.Min(start, total);
        _length = Math.Min(length, total - _skip);
        _remaining = _length;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        if (buffer.Length > _remaining)
        {
            buffer = buffer[..(int)_remaining];
        }

        while (total < buffer.Length)
        {
            if (_current is null && !NextRange())
            {
                if (_content.AppendCrlf && _trailer < 2)
                {
                    if (_skip > 0)
                    {
                        _skip--;
                        _trailer++;
                        continue;
                    }

                    buffer[total++] = _trailer++ == 0 ? (byte)'\r' : (byte)'\n';
                    continue;
                }

                break;
            }

            if (_current is null)
            {
                continue;
            }

            var n = _current.Read(buffer[total..]);
            if (n == 0)
            {
                _current.Dispose();
                _current = null;
                continue;
            }

            if (_skip > 0)
            {
                // Skipping inside a range that has bare LFs: CRLF offsets do not map to raw ones, so read past.
                var drop = (int)Math.Min(_skip, n);
                _skip -= drop;
                buffer.Slice(total + drop, n - drop).CopyTo(buffer[total..]);
                n -= drop;
            }

            total += n;
        }

        _remaining -= total;
        _position += total;
        return total;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current?.Dispose();
            if (!_leaveOpen)
            {
                _file.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Opens the next range, skipping whole ranges (and seeking into CRLF-only ones) while skipping.</summary>
    private bool NextRange()
    {
        while (++_index < _content.Ranges.Count)
        {
            var r = _content.Ranges[_index];
            if (_skip >= r.CrlfLength)
            {
                _skip -= r.CrlfLength;
                continue;
            }

            var offset = r.Offset;
            var length = r.Length;
            var previousWasCr = false;
            if (_skip > 0 && r.CrlfLength == r.Length)
            {
                // No bare LF in this range: CRLF offsets are raw offsets. Starting between CR and LF must not make
                // that LF look bare.
                offset += _skip;
                length -= _skip;
                _skip = 0;
                _file.Seek(offset - 1, SeekOrigin.Begin);
                previousWasCr = _file.ReadByte() == '\r';
            }

            _file.Seek(offset, SeekOrigin.Begin);
            _current = new CrlfNormalizingStream(_file, length, leaveOpen: true, previousWasCr: previousWasCr, replaceNul: true);
            return true;
        }

        _index = _content.Ranges.Count;
        return false;
    }
}
