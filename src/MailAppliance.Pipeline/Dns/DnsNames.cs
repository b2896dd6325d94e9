using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailAppliance.Pipeline.Dns;

/// <summary>Names built for DNS questions: reverse names, DNSBL and TLSA names, and the one form names are compared in.</summary>
public static class DnsNames
{
    // RFC 1035 §2.3.4: 63 octets a label, 255 octets a name on the wire, i.e. 253 characters in text without the
    // trailing dot.
    public const int MaxNameLength = 253;
    public const int MaxLabelLength = 63;

    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = false };

    /// <summary>
    /// The comparison form: lower-case A-labels without the trailing dot. False for an empty name, an empty label,
    /// a label over 63 octets or a name over 253 characters (RFC 1035 §2.3.4), or a U-label that does not convert.
    /// </summary>
    public static bool TryNormalize(string name, out string normalized)
    {
        normalized = "";
        var text = name.Trim();
        if (text.EndsWith('.'))
        {
            text = text[..^1];
        }

        if (text.Length == 0)
        {
            return false;
        }

        if (!Ascii.IsValid(text))
        {
            try
            {
                text = Idn.GetAscii(text);
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        text = text.ToLowerInvariant();
        if (text.Length > MaxNameLength)
        {
            return false;
        }

        foreach (var label in text.Split('.'))
        {
            if (label.Length is 0 or > MaxLabelLength)
            {
                return false;
            }
        }

        normalized = text;
        return true;
    }

    /// <summary>
    /// <c>4.3.2.1.in-addr.arpa</c> for 1.2.3.4 (RFC 1035 §3.5), nibbles under <c>ip6.arpa</c> for IPv6 (RFC 3596
    /// §2.5). An IPv4-mapped IPv6 address is reversed as the IPv4 address it carries.
    /// </summary>
    public static string ReverseName(IPAddress address) => ReversedLabels(address) + (Unmap(address).AddressFamily == AddressFamily.InterNetwork ? ".in-addr.arpa" : ".ip6.arpa");

    /// <summary>The name a DNSBL is asked for an address (RFC 5782 §2.1 and §2.4): reversed octets or nibbles, then the zone.</summary>
    public static string DnsblName(IPAddress address, string zone) => ReversedLabels(address) + "." + zone.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>The name a URIBL (RFC 5782 §2.3, domain-based list) is asked for a domain: the domain, then the zone.</summary>
    public static string DomainListName(string domain, string zone) => domain.Trim().TrimEnd('.').ToLowerInvariant() + "." + zone.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>RFC 6698 §3 / RFC 7672 §2.2.1: <c>_25._tcp.mx.example.com</c>.</summary>
    public static string TlsaName(int port, string host) => string.Create(CultureInfo.InvariantCulture, $"_{port}._tcp.{host.Trim().TrimEnd('.').ToLowerInvariant()}");

    /// <summary>Whether two names are the same name (case-insensitive, trailing dot ignored).</summary>
    public static bool Same(string a, string b) =>
        string.Equals(a.TrimEnd('.'), b.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    /// <summary>The reversed labels alone: <c>4.3.2.1</c> or the 32 nibbles of an IPv6 address.</summary>
    public static string ReversedLabels(IPAddress address)
    {
        var bytes = Unmap(address).GetAddressBytes();
        var text = new StringBuilder(64);
        if (bytes.Length == 4)
        {
            for (var i = 3; i >= 0; i--)
            {
                text.Append(bytes[i].ToString(CultureInfo.InvariantCulture));
                if (i > 0)
                {
                    text.Append('.');
                }
            }

            return text.ToString();
        }

        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            text.Append("0123456789abcdef"[bytes[i] & 0xF]).Append('.');
            text.Append("0123456789abcdef"[bytes[i] >> 4]);
            if (i > 0)
            {
                text.Append('.');
            }
        }

        return text.ToString();
    }

    /// <summary>An IPv4-mapped IPv6 address (<c>::ffff:192.0.2.1</c>) as the IPv4 address it is; others unchanged.</summary>
    public static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
