using System.Buffers.Binary;
using System.Text;

namespace MailAppliance.Testing.Dns;

/// <summary>Record types the loopback server knows by name (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891, RFC 6698).</summary>
public enum DnsType : ushort
{
    A = 1,
    NS = 2,
    CNAME = 5,
    SOA = 6,
    PTR = 12,
    MX = 15,
    TXT = 16,
    AAAA = 28,
    SRV = 33,
    OPT = 41,
    TLSA = 52,
    SPF = 99,
    ANY = 255,
}

/// <summary>Response codes (RFC 1035 §4.1.1).</summary>
public enum DnsRcode
{
    NoError = 0,
    FormErr = 1,
    ServFail = 2,
    NxDomain = 3,
    NotImp = 4,
    Refused = 5,
}

public enum DnsTransport
{
    Udp,
    Tcp,
}

/// <summary>A question as it arrived (RFC 1035 §4.1.1, §4.1.2) with its EDNS facts (RFC 6891 §6.1.2, RFC 3225).</summary>
internal sealed record DnsQuery(ushort Id, ushort Flags, byte[] RawName, string Name, DnsType Type, ushort Class, bool HasEdns, int UdpSize, bool DnssecOk)
{
    public bool RecursionDesired => (Flags & 0x0100) != 0;

    public bool AuthenticatedData => (Flags & 0x0020) != 0;

    public bool CheckingDisabled => (Flags & 0x0010) != 0;

    public static bool TryParse(ReadOnlySpan<byte> message, out DnsQuery query)
    {
        query = null!;
        if (message.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(message[4..]) != 1 || (message[2] & 0x80) != 0)
        {
            return false;
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var additional = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        var offset = 12;
        var start = offset;
        if (!TryReadName(message, ref offset, out var name) || offset + 4 > message.Length)
        {
            return false;
        }

        var rawName = message[start..offset].ToArray();
        var type = (DnsType)BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        var qclass = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
        offset += 4;

        bool edns = false, dnssecOk = false;
        var udpSize = 512;
        for (var i = 0; i < additional; i++)
        {
            if (!TryReadName(message, ref offset, out _) || offset + 10 > message.Length)
            {
                return false;
            }

            var rrType = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var rrClass = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            var rrTtl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10 + length;
            if (rrType == (ushort)DnsType.OPT)
            {
                edns = true;
                udpSize = Math.Max(512, (int)rrClass);
                dnssecOk = (rrTtl & 0x8000) != 0;
            }
        }

        query = new DnsQuery(id, flags, rawName, name, type, qclass, edns, udpSize, dnssecOk);
        return true;
    }

    // RFC 1035 §4.1.4: a name is labels, possibly ending in a pointer.
    private static bool TryReadName(ReadOnlySpan<byte> message, ref int offset, out string name)
    {
        var labels = new List<string>();
        var position = offset;
        var jumped = false;
        for (var hops = 0; hops < 64; hops++)
        {
            if (position >= message.Length)
            {
                name = "";
                return false;
            }

            var length = message[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= message.Length)
                {
                    name = "";
                    return false;
                }

                if (!jumped)
                {
                    offset = position + 2;
                }

                jumped = true;
                position = ((length & 0x3F) << 8) | message[position + 1];
                continue;
            }

            if (length == 0)
            {
                if (!jumped)
                {
                    offset = position + 1;
                }

                name = string.Join('.', labels);
                return true;
            }

            if (position + 1 + length > message.Length)
            {
                name = "";
                return false;
            }

            labels.Add(Encoding.ASCII.GetString(message.Slice(position + 1, length)));
            position += 1 + length;
        }

        name = "";
        return false;
    }
}

/// <summary>Writes a DNS message: header, the question as asked, then resource records with uncompressed names.</summary>
internal sealed class DnsMessageWriter
{
    private readonly List<byte> _bytes = new(512);

    public int Length => _bytes.Count;

    public byte[] ToArray() => [.. _bytes];

    public void Header(ushort id, ushort flags, int questions, int answers, int authorities, int additional)
    {
        U16(id);
        U16(flags);
        U16((ushort)questions);
        U16((ushort)answers);
        U16((ushort)authorities);
        U16((ushort)additional);
    }

    public void Question(byte[] rawName, DnsType type, ushort qclass)
    {
        _bytes.AddRange(rawName);
        U16((ushort)type);
        U16(qclass);
    }

    public void Record(string owner, DnsType type, ushort rclass, uint ttl, byte[] rdata)
    {
        _bytes.AddRange(EncodeName(owner));
        U16((ushort)type);
        U16(rclass);
        U32(ttl);
        U16((ushort)rdata.Length);
        _bytes.AddRange(rdata);
    }

    public void U16(ushort value)
    {
        _bytes.Add((byte)(value >> 8));
        _bytes.Add((byte)value);
    }

    public void U32(uint value)
    {
        U16((ushort)(value >> 16));
        U16((ushort)value);
    }

    /// <summary>A name as length-prefixed labels ending in the root; "." or "" is the root alone.</summary>
    public static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var octets = Encoding.ASCII.GetBytes(label);
            if (octets.Length > 63)
            {
                throw new ArgumentException($"label '{label}' is longer than 63 octets", nameof(name));
            }

            bytes.Add((byte)octets.Length);
            bytes.AddRange(octets);
        }

        bytes.Add(0);
        return [.. bytes];
    }
}
