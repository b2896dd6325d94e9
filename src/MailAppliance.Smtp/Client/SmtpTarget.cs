using System.Net;

namespace MailAppliance.Smtp.Client;

/// <summary>One server to try: its host name (for SNI, certificate names and logs), its addresses in the order to
/// try them, and the TLS policy that applies to it (per host: DANE's TLSA records belong to one MX).</summary>
public sealed record SmtpHost(string Name, IReadOnlyList<IPAddress> Addresses, TlsPolicy Tls);

/// <summary>Credentials for a smarthost (RFC 4954 AUTH PLAIN or LOGIN; sent over TLS only).</summary>
public sealed record SmtpCredentials(string UserName, string Password)
{
    public override string ToString() => UserName; // never the password in a log
}

/// <summary>
/// Where a message for one next hop goes: the destination's name (the recipient domain, or the smarthost) that
/// concurrency limits and the connection cache count by, its hosts in the order to try them (MX preference order,
/// or the one smarthost), the port, and credentials for a smarthost.
/// </summary>
public sealed record SmtpTarget(string Destination, IReadOnlyList<SmtpHost> Hosts, int Port = 25, SmtpCredentials? Credentials = null)
{
    /// <summary>A single host by address (tests, and a smarthost given as <c>[192.0.2.1]:587</c>).</summary>
    public static SmtpTarget ForAddress(IPAddress address, int port, TlsPolicy tls, string? hostName = null, SmtpCredentials? credentials = null)
    {
        var name = hostName ?? address.ToString();
        return new SmtpTarget(name, [new SmtpHost(name, [address], tls)], port, credentials);
    }
}
