namespace MailAppliance.Storage.Spool;

/// <summary>
/// A seekable read-only stream made of pieces: bytes of its own (the fields a delivery adds) and ranges of the spooled
/// message, read in place. What a local delivery stores — Return-Path, Delivered-To, the message up to where the
/// verdict's fields go, those fields, the rest — without copying the message, and without the ranges the verdict
/// removes.
/// </summary>
internal sealed class ComposedStream : Stream
{
    private readonly Stream _message;
    private readonly Piece[] _pieces;
    private readonly long[] _starts;
    private long _position;

    /// <summary>Either <paramref name="Bytes"/>, or octets [<paramref name="From"/>, <paramref name="To"/>) of the message.</summary>
    internal readonly record struct Piece(byte[]? Bytes, long From, long To)
    {
        public long Length => Bytes?.Length ?? (To - From);
    }

    public ComposedStream(IEnumerable<Piece> pieces, Stream message)
    {
        _message = message;
        _pieces = pieces.Where(p => p.Length > 0).ToArray();
        _starts = new long[_pieces.Length];
        long start = 0;
        for (var i = 0; i < _pieces.Length; i++)
        {
            _starts[i] = start;
            start += _pieces[i].Length;
        }

        Length = start;
    }

    /// <summary>
    /// The message with <paramref name="prefix"/> before it, <paramref name="inserted"/> at <paramref name="at"/>, and
    /// without the <paramref name="removed"/> ranges.
    /// </summary>
    public static ComposedStream Compose(Stream message, byte[] prefix, long at, byte[] inserted, IReadOnlyList<MessageRange> removed)
    {
        var length = message.Length;
        at = Math.Clamp(at, 0, length);
        var pieces = new List<Piece> { new(prefix, 0, 0) };
        AddKept(pieces, 0, at, removed);
        pieces.Add(new Piece(inserted, 0, 0));
        AddKept(pieces, at, length, removed);
        return new ComposedStream(pieces, message);
    }

    private static void AddKept(List<Piece> pieces, long from, long to, IReadOnlyList<MessageRange> removed)
    {
        var cursor = from;
        foreach (var range in removed.OrderBy(r => r.Offset))
        {
            var start = Math.Max(range.Offset, cursor);
            var end = Math.Min(range.Offset + range.Length, to);
            if (end <= start)
            {
                continue;
            }

            pieces.Add(new Piece(null, cursor, start));
            cursor = end;
        }

        pieces.Add(new Piece(null, cursor, to));
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    /// <summary>The piece that holds <see cref="_position"/> and the offset in it; false at the end.</summary>
    private bool Locate(out int index, out long within)
    {
        var i = Array.BinarySearch(_starts, _position);
        index = i >= 0 ? i : ~i - 1;
        within = index >= 0 ? _position - _starts[index] : 0;
        return index >= 0 && index < _pieces.Length && _position < Length;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0 || !Locate(out var index, out var within))
        {
            return 0;
        }

        var piece = _pieces[index];
        var n = (int)Math.Min(buffer.Length, piece.Length - within);
        if (piece.Bytes is { } bytes)
        {
            bytes.AsSpan((int)within, n).CopyTo(buffer);
        }
        else
        {
            // The message stream is shared (one message delivered to several users): read it where this stream is.
            _message.Position = piece.From + within;
            n = _message.Read(buffer[..n]);
        }

        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || !Locate(out var index, out var within))
        {
            return 0;
        }

        var piece = _pieces[index];
        if (piece.Bytes is not null)
        {
            return Read(buffer.Span);
        }

        var n = (int)Math.Min(buffer.Length, piece.Length - within);
        _message.Position = piece.From + within;
        n = await _message.ReadAsync(buffer[..n], cancellationToken);
        _position += n;
        return n;
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
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
