namespace MailAppliance.Core.Net;

/// <summary>
/// How many sessions a listener runs at once, in all and per client (an IPv4 address or an IPv6 /64, see
/// <see cref="AddressGroup"/>). A connection over either limit goes to the listener's reject callback.
/// </summary>
public sealed record ConnectionLimits(int MaxConnections = 1000, int MaxConnectionsPerAddress = 20)
{
    public static ConnectionLimits Default { get; } = new();
}
