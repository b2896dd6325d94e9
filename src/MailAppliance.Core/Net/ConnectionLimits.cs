namespace MailAppliance.Core.Net;

/// <summary>
/// How many sessions a listener runs at once, in all and per client (an IPv4 address or an IPv6 /64, see
/// <see cref="AddressGroup"/>). A connection over either limit goes to the listener's reject callback.
/// </summary>
public sealed record ConnectionLimits(int MaxConnections = 1000, int MaxConnectionsPerAddress = 20)
{
    public static ConnectionLimits Default { get; } = new();

    /// <summary>
    /// Clients the per-address limit does not apply to (the limit in all still does): for SMTP the trusted networks,
    /// as Postfix exempts <c>$mynetworks</c> from its client connection limit.
    /// </summary>
    public IReadOnlyList<System.Net.IPNetwork> Exempt { get; init; } = [];

    /// <summary>Whether the per-address limit applies to <paramref name="address"/>.</summary>
    public bool LimitsAddress(System.Net.IPAddress address)
    {
        if (Exempt.Count == 0)
        {
            return true;
        }

        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var network in Exempt)
        {
            if (network.Contains(plain))
            {
                return false;
            }
        }

        return true;
    }
}
