namespace MailAppliance.Mime;

/// <summary>Collects the fields of one header block while the parser streams over it, within the limits.</summary>
internal sealed class HeaderBlockBuilder(MimeParserOptions options)
{
    private byte[] _value = new byte[128];
    private int _valueLength;
    private string? _name;
    private long _offset;
    private long _bareAtStart;
    private bool _truncated;
    private int _retained;

    public List<HeaderField> Fields { get; } = new();

    public bool HasCurrent => _name is not null;

    public void Start(long lineStart, long bareAtStart, ReadOnlySpan<byte> content, long fullLength, MessagePart part)
    {
        _offset = lineStart;
        _bareAtStart = bareAtStart;
        _valueLength = 0;
        _truncated = fullLength > content.Length;
        var colon = content.IndexOf((byte)':');
        if (colon < 0)
        {
            // Not a field (RFC 5322 §2.2 needs a colon). Kept as a nameless field so no byte is lost.
            part.Flags |= MimePartFlags.MalformedHeaderLine;
            _name = string.Empty;
            Append(content);
            return;
        }

        _name = HeaderText.DecodeBytes(content[..colon].Trim(" \t"u8));
        Append(content[(colon + 1)..]);
    }

    public void Continue(ReadOnlySpan<byte> content, long fullLength)
    {
        _truncated |= fullLength > content.Length;
        Append("\r\n"u8);
        Append(content);
    }

    public void Finish(long end, long bareAtEnd, MessagePart part)
    {
        if (_name is null)
        {
            return;
        }

        var length = end - _offset;
        var crlfLength = length + (bareAtEnd - _bareAtStart);
        var name = _name;
        _name = null;
        if (_truncated)
        {
            part.Flags |= MimePartFlags.HeaderTruncated;
        }

        if (Fields.Count >= options.MaxHeaderCount)
        {
            part.Flags |= MimePartFlags.LimitExceeded;
            return;
        }

        byte[] value;
        if (_retained + _valueLength > options.MaxHeaderBlockSize)
        {
            part.Flags |= MimePartFlags.LimitExceeded;
            value = Array.Empty<byte>();
        }
        else
        {
            value = _value.AsSpan(0, _valueLength).ToArray();
            _retained += _valueLength;
        }

        Fields.Add(new HeaderField(name, value, _offset, length, crlfLength, _truncated));
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        var room = options.MaxHeaderFieldLength - _valueLength;
        if (bytes.Length > room)
        {
            _truncated = true;
            bytes = bytes[..Math.Max(0, room)];
        }

        if (_valueLength + bytes.Length > _value.Length)
        {
            Array.Resize(ref _value, Math.Max(_valueLength + bytes.Length, _value.Length * 2));
        }

        bytes.CopyTo(_value.AsSpan(_valueLength));
        _valueLength += bytes.Length;
    }
}
