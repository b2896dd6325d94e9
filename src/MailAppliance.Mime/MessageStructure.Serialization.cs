using System.Buffers;
using System.Text;

namespace MailAppliance.Mime;

/// <summary>
/// Compact binary form of a structure for caching (e.g. a PostgreSQL bytea): part tree, offsets, CRLF sizes, line
/// counts, content types and header field names with their offsets. Header values are not kept (they are read from
/// the message file when needed), so a deserialized structure answers section ranges but not decoded headers.
/// </summary>
public sealed partial class MessageStructure
{
    private const uint Magic = 0x3153_4D4D; // "MMS1"
    private const int MaxSerializedDepth = 1000;

    /// <summary>Serializes the structure (see the type remarks for what is kept).</summary>
    public byte[] Serialize()
    {
        var w = new ArrayBufferWriter<byte>(256);
        WriteVar(w, Magic);
        WriteVar(w, (ulong)Length);
        WriteVar(w, (ulong)CrlfLength);
        WritePart(w, Root, Root.HeaderOffset);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>Reads a structure written by <see cref="Serialize"/>; false when the data is not one.</summary>
    public static bool TryDeserialize(ReadOnlySpan<byte> data, out MessageStructure? structure)
    {
        structure = null;
        var pos = 0;
        if (!ReadVar(data, ref pos, out var magic) || magic != Magic
            || !ReadVar(data, ref pos, out var length) || !ReadVar(data, ref pos, out var crlf))
        {
            return false;
        }

        var root = ReadPart(data, ref pos, null, 0, 0);
        if (root is null || pos != data.Length)
        {
            return false;
        }

        structure = new MessageStructure(root, (long)length, (long)crlf) { HasHeaderValues = false };
        return true;
    }

    /// <summary>Reads a structure written by <see cref="Serialize"/>; throws <see cref="FormatException"/> on bad data.</summary>
    public static MessageStructure Deserialize(ReadOnlySpan<byte> data) =>
        TryDeserialize(data, out var s) ? s! : throw new FormatException("Not a serialized MessageStructure.");

    private static void WritePart(ArrayBufferWriter<byte> w, MessagePart p, long baseOffset)
    {
        WriteVar(w, (ulong)p.Kind);
        WriteVar(w, (ulong)p.Flags);
        WriteVar(w, (ulong)(p.HeaderOffset - baseOffset));
        WriteVar(w, (ulong)p.HeaderLength);
        WriteVar(w, (ulong)(p.HeaderCrlfLength - p.HeaderLength));
        WriteVar(w, (ulong)p.BodyLength);
        WriteVar(w, (ulong)(p.BodyCrlfLength - p.BodyLength));
        WriteVar(w, (ulong)p.BodyLines);
        WriteVar(w, p.HasExplicitContentType ? 1UL : 0UL);
        WriteString(w, p.ContentType.MediaType);
        WriteString(w, p.ContentType.SubType);
        WriteVar(w, (ulong)p.Headers.Count);
        var previous = p.HeaderOffset;
        foreach (var h in p.Headers)
        {
            WriteString(w, h.Name);
            WriteVar(w, (ulong)(h.Offset - previous));
            WriteVar(w, (ulong)h.Length);
            WriteVar(w, (ulong)(h.CrlfLength - h.Length));
            previous = h.Offset;
        }

        WriteVar(w, (ulong)p.Children.Count);
        var childBase = p.BodyOffset;
        foreach (var c in p.Children)
        {
            WritePart(w, c, childBase);
            childBase = c.HeaderOffset;
        }

        if (p.Kind == MimePartKind.Message && p.Message is { } m)
        {
            WriteVar(w, 1);
            WritePart(w, m, p.BodyOffset);
        }
        else
        {
            WriteVar(w, 0);
        }
    }

    private static MessagePart? ReadPart(ReadOnlySpan<byte> d, ref int pos, MessagePart? parent, long baseOffset, int depth)
    {
        if (depth > MaxSerializedDepth
            || !ReadVar(d, ref pos, out var kind) || kind > 2
            || !ReadVar(d, ref pos, out var flags)
            || !ReadVar(d, ref pos, out var headerDelta)
            || !ReadVar(d, ref pos, out var headerLength)
            || !ReadVar(d, ref pos, out var headerExtra)
            || !ReadVar(d, ref pos, out var bodyLength)
            || !ReadVar(d, ref pos, out var bodyExtra)
            || !ReadVar(d, ref pos, out var lines)
            || !ReadVar(d, ref pos, out var explicitType)
            || !ReadString(d, ref pos, out var media)
            || !ReadString(d, ref pos, out var sub)
            || !ReadVar(d, ref pos, out var headerCount) || headerCount > (ulong)d.Length)
        {
            return null;
        }

        var part = new MessagePart(parent, baseOffset + (long)headerDelta)
        {
            Kind = (MimePartKind)kind,
            Flags = (MimePartFlags)flags,
            HeaderLength = (long)headerLength,
            HeaderCrlfLength = (long)(headerLength + headerExtra),
            BodyLength = (long)bodyLength,
            BodyCrlfLength = (long)(bodyLength + bodyExtra),
            BodyLines = (long)lines,
            HasExplicitContentType = explicitType == 1,
            ContentType = new ContentType(media, sub),
        };
        part.BodyOffset = part.HeaderOffset + part.HeaderLength;
        var headers = new List<HeaderField>((int)headerCount);
        var previous = part.HeaderOffset;
        for (ulong i = 0; i < headerCount; i++)
        {
            if (!ReadString(d, ref pos, out var name) || !ReadVar(d, ref pos, out var delta)
                || !ReadVar(d, ref pos, out var len) || !ReadVar(d, ref pos, out var extra))
            {
                return null;
            }

            previous += (long)delta;
            headers.Add(new HeaderField(name, Array.Empty<byte>(), previous, (long)len, (long)(len + extra)));
        }

        part.Headers = headers;
        if (!ReadVar(d, ref pos, out var childCount) || childCount > (ulong)d.Length)
        {
            return null;
        }

        var childBase = part.BodyOffset;
        for (ulong i = 0; i < childCount; i++)
        {
            var child = ReadPart(d, ref pos, part, childBase, depth + 1);
            if (child is null)
            {
                return null;
            }

            part.AddChild(child);
            childBase = child.HeaderOffset;
        }

        if (!ReadVar(d, ref pos, out var hasMessage))
        {
            return null;
        }

        if (hasMessage == 1)
        {
            var m = ReadPart(d, ref pos, part, part.BodyOffset, depth + 1);
            if (m is null)
            {
                return null;
            }

            part.Message = m;
        }

        return part;
    }

    private static void WriteVar(ArrayBufferWriter<byte> w, ulong v)
    {
        var span = w.GetSpan(10);
        var n = 0;
        while (v >= 0x80)
        {
            span[n++] = (byte)(v | 0x80);
            v >>= 7;
        }

        span[n++] = (byte)v;
        w.Advance(n);
    }

    private static void WriteString(ArrayBufferWriter<byte> w, string s)
    {
        var count = Encoding.UTF8.GetByteCount(s);
        WriteVar(w, (ulong)count);
        Encoding.UTF8.GetBytes(s, w.GetSpan(count));
        w.Advance(count);
    }

    private static bool ReadVar(ReadOnlySpan<byte> d, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= d.Length)
            {
                return false;
            }

            var b = d[pos++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value <= long.MaxValue;
            }
        }

        return false;
    }

    private static bool ReadString(ReadOnlySpan<byte> d, ref int pos, out string s)
    {
        s = string.Empty;
        if (!ReadVar(d, ref pos, out var len) || len > (ulong)(d.Length - pos))
        {
            return false;
        }

        s = Encoding.UTF8.GetString(d.Slice(pos, (int)len));
        pos += (int)len;
        return true;
    }
}
