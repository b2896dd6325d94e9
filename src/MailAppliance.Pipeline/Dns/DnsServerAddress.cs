using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MailAppliance.Pipeline.Dns;

/// <summary>Server addresses as configuration and resolv.conf write them.</summary>
public static class DnsServerAddress
{
    public const int DefaultPort = 53;

    /// <summary><c>192.0.2.53</c>, <c>192.0.2.53:5353</c>, <c>2001:db8::53</c>, <c>[2001:db8::53]:5353</c>.</summary>
    public static bool TryParse(string text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        text = text.Trim();
        if (text.Length == 0)
        {
            return false;
        }

        if (IPAddress.TryParse(text, out var bare) && !text.StartsWith('['))
        {
            endpoint = new IPEndPoint(bare, DefaultPort);
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            endpoint = new IPEndPoint(v6, port);
            return true;
        }

        if (!IPAddress.TryParse(host, out var v4) || v4.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        endpoint = new IPEndPoint(v4, port);
        return true;
    }

    /// <summary>
    /// The <c>nameserver</c> lines of a resolv.conf (resolv.conf(5)): in order, port 53, an IPv6 zone index kept.
    /// Lines that do not parse are skipped as the C library skips them.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> FromResolvConf(string text)
    {
        var servers = new List<IPEndPoint>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields[0] == "nameserver" && IPAddress.TryParse(fields[1], out var address))
            {
                servers.Add(new IPEndPoint(address, DefaultPort));
            }
        }

        return servers;
    }
}
