using System.Text;

namespace MailAppliance.Mime.Tests;

/// <summary>Checks that hold for every parse of every input: offsets tile the raw bytes and CRLF sizes are exact.</summary>
internal static class StructureInvariants
{
    public static void Check(byte[] raw, MessageStructure s)
    {
        Assert.Equal(raw.Length, s.Length);
        Assert.Equal(CrlfSize(raw, 0, raw.Length), s.CrlfLength);
        Assert.Equal(0, s.Root.HeaderOffset);
        Assert.Equal(raw.Length, s.Root.Length);
        foreach (var p in s.Root.Descendants())
        {
            Assert.True(p.HeaderOffset >= 0 && p.HeaderLength >= 0 && p.BodyLength >= 0, p.ToString());
            Assert.Equal(p.HeaderOffset + p.HeaderLength, p.BodyOffset);
            Assert.True(p.BodyOffset + p.BodyLength <= raw.Length, p.ToString());
            Assert.Equal(CrlfSize(raw, p.HeaderOffset, p.HeaderLength), p.HeaderCrlfLength);
            Assert.Equal(CrlfSize(raw, p.BodyOffset, p.BodyLength), p.BodyCrlfLength);
            Assert.Equal(raw.AsSpan((int)p.BodyOffset, (int)p.BodyLength).Count((byte)'\n'), p.BodyLines);
            var previousEnd = p.BodyOffset;
            foreach (var c in p.Children)
            {
                Assert.True(c.HeaderOffset >= previousEnd, $"child {c} starts before {previousEnd}");
                Assert.True(c.BodyOffset + c.BodyLength <= p.BodyOffset + p.BodyLength, $"child {c} ends after parent {p}");
                previousEnd = c.BodyOffset + c.BodyLength;
            }

            if (p.Message is { } m)
            {
                Assert.Equal(p.BodyOffset, m.HeaderOffset);
                // Equal, except for Dovecot's sizes where an embedded message with an empty body (its header cut by
                // a delimiter, or its empty line right before one) gives that line break up while the enclosing
                // part keeps it.
                var gap = p.BodyOffset + p.BodyLength - (m.BodyOffset + m.BodyLength);
                Assert.True(gap == 0 || (gap is 1 or 2 && m.BodyLength == 0), $"embedded {m} vs {p}");
            }

            foreach (var h in p.Headers)
            {
                Assert.True(h.Offset >= p.HeaderOffset && h.Offset + h.Length <= p.BodyOffset, $"field {h.Name} outside header of {p}");
                Assert.Equal(CrlfSize(raw, h.Offset, h.Length), h.CrlfLength);
                if (h.Name.Length > 0 && h.RawValue.Length > 0 && !h.IsTruncated)
                {
                    var field = raw.AsSpan((int)h.Offset, (int)h.Length).TrimStart(" \t"u8);
                    Assert.True(field.StartsWith(Encoding.UTF8.GetBytes(h.Name)) || field.StartsWith(Encoding.Latin1.GetBytes(h.Name)), $"field {h.Name}");
                }
            }
        }
    }

    /// <summary>Length of a raw range when every bare LF is served as CRLF.</summary>
    public static long CrlfSize(byte[] raw, long offset, long length)
    {
        using var ms = new MemoryStream(raw, (int)offset, (int)length);
        using var n = new CrlfNormalizingStream(ms);
        var buffer = new byte[8192];
        long total = 0;
        int r;
        while ((r = n.Read(buffer, 0, buffer.Length)) > 0)
        {
            total += r;
        }

        // A range starting right after a CR keeps its first LF bare: ranges always start at line starts here.
        return total;
    }
}
