using System.Net;
using System.Net.Sockets;

namespace MailAppliance.Import;

/// <summary>How to reach a remote mailbox: implicit TLS by default; STARTTLS or plain text only on loopback.</summary>
public enum RemoteSecurity
{
    Tls,
    StartTls,
    Plain,
}

public enum RemoteProtocol
{
    Imap,
    Pop3,
}

/// <summary>A remote IMAP or POP3 account an import or a box poll reads.</summary>
public sealed record RemoteAccount(RemoteProtocol Protocol, string Host, int Port, RemoteSecurity Security, string Login, string Password)
{
    /// <summary>The port a protocol uses with a security when none is given: 993/995 with TLS, else 143/110.</summary>
    public static int DefaultPort(RemoteProtocol protocol, RemoteSecurity security) => (protocol, security) switch
    {
        (RemoteProtocol.Imap, RemoteSecurity.Tls) => 993,
        (RemoteProtocol.Imap, _) => 143,
        (RemoteProtocol.Pop3, RemoteSecurity.Tls) => 995,
        _ => 110,
    };

    public string Description => $"{Protocol.ToString().ToLowerInvariant()}://{Login}@{Host}:{Port}";

    /// <summary>
    /// Whether the host is the local machine (127.0.0.0/8, ::1, localhost): the only place a password may travel
    /// without TLS from the start, since nothing on the wire can be downgraded there.
    /// </summary>
    public static async Task<bool> IsLoopbackAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return IPAddress.IsLoopback(address);
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            return addresses.Length > 0 && addresses.All(IPAddress.IsLoopback);
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
