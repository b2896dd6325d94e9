using System.Buffers;
using System.IO.Pipelines;

namespace MailAppliance.Mime;

/// <summary>
/// Incremental (push) MIME parser. Feed the raw message in chunks of any size with <see cref="Write"/>, then call
/// <see cref="Complete"/>. Only header fields and a bounded line prefix are held; bodies are never copied, so memory
/// does not grow with body size. No input makes it throw or loop: every byte sequence yields a structure.
/// </summary>
public sealed partial class MimeParser
{
    // A body line only matters for boundary detection; RFC 2046 §5.1.1 caps boundaries at 70 characters.
    private const int BodyLinePrefixCap = 1024;

    private readonly MimeParserOptions _options;
    private readonly List<Frame> _stack = new();
    private readonly MessagePart _root;
    private byte[] _carry = new byte[256];
    private int _carryLength;
    private long _carryFullLength;
    private bool _inLine;
    private long _offset;
    private long _lineFeeds;
    private long _bareLineFeeds;
    private bool _lastWasCr;
    private int _previousTerminator;
    private int _partCount = 1;
    private MessageStructure? _result;

    /// <summary>Creates a parser for one message.</summary>
    public MimeParser(MimeParserOptions? options = null)
    {
        _options = options ?? MimeParserOptions.Default;
        _root = new MessagePart(null, 0);
        _stack.Add(new Frame(_root, FrameState.Header, 0, 0));
    }

    /// <summary>Parses a whole stream (read to its end; not rewound).</summary>
    public static MessageStructure Parse(Stream stream, MimeParserOptions? options = null)
    {
        var parser = new MimeParser(options);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int n;
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                parser.Write(buffer.AsSpan(0, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return parser.Complete();
    }

    /// <summary>Parses a message held in memory.</summary>
    public static MessageStructure Parse(ReadOnlySpan<byte> message, MimeParserOptions? options = null)
    {
        var parser = new MimeParser(options);
        parser.Write(message);
        return parser.Complete();
    }

    /// <summary>Parses a whole stream asynchronously.</summary>
    public static async ValueTask<MessageStructure> ParseAsync(Stream stream, MimeParserOptions? options = null, CancellationToken cancellationToken = default)
    {
        var parser = new MimeParser(options);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
            {
                parser.Write(buffer.AsSpan(0, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return parser.Complete();
    }

    /// <summary>Parses everything a pipe delivers until it completes.</summary>
    public static async ValueTask<MessageStructure> ParseAsync(PipeReader reader, MimeParserOptions? options = null, CancellationToken cancellationToken = default)
    {
        var parser = new MimeParser(options);
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            foreach (var segment in result.Buffer)
            {
                parser.Write(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }
        }

        return parser.Complete();
    }

    /// <summary>Feeds the next chunk of the raw message.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (_result is not null)
        {
            throw new InvalidOperationException("The parser has completed.");
        }

        while (!data.IsEmpty)
        {
            var nl = data.IndexOf((byte)'\n');
            if (nl < 0)
            {
                AppendPartial(data);
                _lastWasCr = data[^1] == (byte)'\r';
                _offset += data.Length;
                return;
            }

            var cr = nl > 0 ? data[nl - 1] == (byte)'\r' : _lastWasCr;
            var terminator = cr ? 2 : 1;
            var lineStart = _offset - _carryFullLength;
            bool boundary;
            if (!_inLine)
            {
                var contentLength = nl - (cr ? 1 : 0);
                boundary = ProcessLine(lineStart, data[..contentLength], contentLength, terminator);
            }
            else
            {
                AppendPartial(data[..nl]);
                var fullContent = _carryFullLength - (cr ? 1 : 0);
                var kept = (int)Math.Min(_carryLength, fullContent);
                boundary = ProcessLine(lineStart, _carry.AsSpan(0, kept), fullContent, terminator);
                _carryLength = 0;
                _carryFullLength = 0;
                _inLine = false;
            }

            _lineFeeds++;
            if (!cr)
            {
                _bareLineFeeds++;
            }

            _offset += nl + 1;
            _lastWasCr = false;
            // Like Dovecot, a boundary line's own line break is not taken again by a following boundary.
            _previousTerminator = boundary ? 0 : terminator;
            data = data[(nl + 1)..];
        }
    }

    /// <summary>Ends the input and returns the structure. Further calls return the same structure.</summary>
    public MessageStructure Complete()
    {
        if (_result is not null)
        {
            return _result;
        }

        if (_inLine)
        {
            var lineStart = _offset - _carryFullLength;
            _ = ProcessLine(lineStart, _carry.AsSpan(0, _carryLength), _carryFullLength, 0);
            _inLine = false;
            _previousTerminator = 0;
        }

        var end = new Position(_offset, _lineFeeds, _bareLineFeeds);
        for (var i = _stack.Count - 1; i >= 0; i--)
        {
            CloseFrame(_stack[i], end);
        }

        _stack.Clear();
        _result = new MessageStructure(_root, _offset, _offset + _bareLineFeeds);
        return _result;
    }

    private void AppendPartial(ReadOnlySpan<byte> data)
    {
        _inLine = true;
        _carryFullLength += data.Length;
        var cap = _stack[^1].State == FrameState.Header ? _options.MaxHeaderFieldLength + 256 : BodyLinePrefixCap;
        var room = cap - _carryLength;
        if (room <= 0)
        {
            return;
        }

        var take = Math.Min(room, data.Length);
        if (_carryLength + take > _carry.Length)
        {
            Array.Resize(ref _carry, Math.Max(_carryLength + take, _carry.Length * 2));
        }

        data[..take].CopyTo(_carry.AsSpan(_carryLength));
        _carryLength += take;
    }

    /// <summary>Handles one line: <paramref name="content"/> is its (possibly cut) text without the line break.</summary>
    private bool ProcessLine(long lineStart, ReadOnlySpan<byte> content, long fullLength, int terminator)
    {
        var top = _stack[^1];
        if (content.Length >= 2 && content[0] == (byte)'-' && content[1] == (byte)'-' && TryMatchBoundary(content, out var index, out var isClose))
        {
            OnBoundary(lineStart, fullLength, terminator, index, isClose);
            return true;
        }

        if (top.State != FrameState.Header)
        {
            return false;
        }

        if (fullLength == 0)
        {
            var after = new Position(lineStart + terminator, _lineFeeds + (terminator > 0 ? 1 : 0), _bareLineFeeds + (terminator == 1 ? 1 : 0));
            EndHeader(top, new Position(lineStart, _lineFeeds, _bareLineFeeds), after, terminated: true);
            return false;
        }

        OnHeaderLine(top, lineStart, content, fullLength, terminator);
        return false;
    }

    /// <summary>
    /// RFC 2046 §5.1.1: a boundary line is "--" + boundary. Like Dovecot, anything may follow the boundary (a
    /// trailing "--" makes it the close delimiter); the innermost open multipart is tried first.
    /// </summary>
    private bool TryMatchBoundary(ReadOnlySpan<byte> content, out int index, out bool isClose)
    {
        for (var i = _stack.Count - 1; i >= 0; i--)
        {
            var f = _stack[i];
            if (f.Boundary is null || f.State == FrameState.Epilogue)
            {
                continue;
            }

            var rest = content[2..];
            if (rest.StartsWith(f.Boundary))
            {
                rest = rest[f.Boundary.Length..];
                index = i;
                isClose = rest.Length >= 2 && rest[0] == (byte)'-' && rest[1] == (byte)'-';
                return true;
            }
        }

        index = -1;
        isClose = false;
        return false;
    }

    private void OnBoundary(long lineStart, long fullLength, int terminator, int index, bool isClose)
    {
        // RFC 2046 §5.1.1: the line break before the boundary line belongs to the boundary.
        var end = new Position(
            lineStart - _previousTerminator,
            _lineFeeds - (_previousTerminator > 0 ? 1 : 0),
            _bareLineFeeds - (_previousTerminator == 1 ? 1 : 0));
        // Dovecot's sizes: the line break before the delimiter is taken from the deepest closing part that holds
        // it. When that is a header (its last field or its empty line), only that part and those inside it give it
        // up; the enclosing parts being closed keep it.
        var untrimmed = new Position(lineStart, _lineFeeds, _bareLineFeeds);
        var holder = _stack.Count - 1;
        while (holder > index + 1 && _stack[holder].Part.HeaderOffset > end.Offset)
        {
            holder--;
        }

        var h = _stack[holder];
        var inHeader = holder > index && h.Part.HeaderOffset <= end.Offset
            && (h.State == FrameState.Header || end.Offset < h.Part.BodyOffset);
        for (var i = _stack.Count - 1; i > index; i--)
        {
            CloseFrame(_stack[i], i >= holder || !inHeader ? end : untrimmed);
            _stack.RemoveAt(i);
        }

        var multipart = _stack[index];
        if (isClose)
        {
            multipart.State = FrameState.Epilogue;
            return;
        }

        if (_partCount >= _options.MaxPartCount)
        {
            // Limit reached: the part is not split further; its bytes stay in the previous child's range.
            multipart.Part.Flags |= MimePartFlags.LimitExceeded;
            multipart.State = FrameState.Epilogue;
            return;
        }

        multipart.State = FrameState.Children;
        var childStart = lineStart + fullLength + terminator;
        var child = new MessagePart(multipart.Part, childStart);
        multipart.Part.AddChild(child);
        _partCount++;
        _stack.Add(new Frame(child, FrameState.Header, _lineFeeds + (terminator > 0 ? 1 : 0), _bareLineFeeds + (terminator == 1 ? 1 : 0)));
    }

    private void CloseFrame(Frame frame, Position end)
    {
        var part = frame.Part;
        if (end.Offset < part.HeaderOffset)
        {
            // An embedded message whose enclosing part ends inside its parent's header: it is empty.
            part.HeaderOffset = end.Offset;
            frame.HeaderLineFeeds = end.LineFeeds;
            frame.HeaderBare = end.Bare;
        }

        if (frame.State == FrameState.Header)
        {
            // Header block without its empty line: it runs to the end, the body is empty.
            EndHeader(frame, end, end, terminated: false);
        }
        else if (end.Offset < part.BodyOffset)
        {
            // Like Dovecot, when a boundary directly follows the header's empty line, that line break belongs to
            // the boundary (RFC 2046 §5.1.1), so the header ends before it and the body is empty.
            part.HeaderLength = end.Offset - part.HeaderOffset;
            part.HeaderCrlfLength = part.HeaderLength + (end.Bare - frame.HeaderBare);
            part.BodyOffset = end.Offset;
            frame.BodyLineFeeds = end.LineFeeds;
            frame.BodyBare = end.Bare;
        }

        if (frame.State == FrameState.Epilogue || frame.State == FrameState.Children || frame.State == FrameState.Preamble)
        {
            if (frame.State == FrameState.Preamble || frame.State == FrameState.Children)
            {
                part.Flags |= MimePartFlags.MissingCloseDelimiter;
            }
        }

        var stop = end.Offset < part.BodyOffset ? new Position(part.BodyOffset, frame.BodyLineFeeds, frame.BodyBare) : end;
        part.BodyLength = stop.Offset - part.BodyOffset;
        part.BodyCrlfLength = part.BodyLength + (stop.Bare - frame.BodyBare);
        part.BodyLines = stop.LineFeeds - frame.BodyLineFeeds;
    }

    private readonly record struct Position(long Offset, long LineFeeds, long Bare);

    private enum FrameState
    {
        Header,
        Body,
        Preamble,
        Children,
        Epilogue,
    }

    private sealed class Frame(MessagePart part, FrameState state, long headerLineFeeds, long headerBare)
    {
        public MessagePart Part { get; } = part;

        public FrameState State { get; set; } = state;

        public byte[]? Boundary { get; set; }

        public long HeaderBare { get; set; } = headerBare;

        public long HeaderLineFeeds { get; set; } = headerLineFeeds;

        public long BodyLineFeeds { get; set; }

        public long BodyBare { get; set; }

        public HeaderBlockBuilder? Headers { get; set; }
    }
}
