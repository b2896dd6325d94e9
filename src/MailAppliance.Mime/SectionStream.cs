namespace MailAppliance.Mime;

/// <summary>Serves a <see cref="SectionContent"/> from a seekable message file in CRLF terms.</summary>
internal sealed class SectionStream(Stream file, SectionContent content, bool leaveOpen) : Stream
{
    private int _index = -1;
    private CrlfNormalizingStream? _current;
    private int _trailer;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => content.CrlfLength;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            if (_current is null)
            {
                _index++;
                if (_index < content.Ranges.Count)
                {
                    var r = content.Ranges[_index];
                    file.Seek(r.Offset, SeekOrigin.Begin);
                    _current = new CrlfNormalizingStream(file, r.Length, leaveOpen: true, replaceNul: true);
                    continue;
                }

                _index = content.Ranges.Count;
                if (content.AppendCrlf && _trailer < 2)
                {
                    buffer[total++] = _trailer++ == 0 ? (byte)'\r' : (byte)'\n';
                    continue;
                }

                break;
            }

            var n = _current.Read(buffer[total..]);
            if (n == 0)
            {
                _current.Dispose();
                _current = null;
                continue;
            }

            total += n;
        }

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
        if (disposing && !leaveOpen)
        {
            file.Dispose();
        }

        base.Dispose(disposing);
    }
}
