using System.Net;
using System.Net.Sockets;

namespace MailAppliance.Core.Net;

/// <summary>
/// The unit that per-address limits count: an IPv4 address, or the /64 network of an IPv6 address (one end site
/// gets a whole /64, RFC 6177, so counting single IPv6 addresses would be no limit at all). IPv4-mapped IPv6
/// addresses count as their IPv4 address.
/// </summary>
public static class AddressGroup
{
    public static IPAddress Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
