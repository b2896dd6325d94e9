using System.Net;
using System.Net.Security;

namespace MailAppliance.Core.Net;

/// <summary>One listener: its addresses, limits, and whether TLS starts at once (ports 465, 993, 995; RFC 8314 §3.3).</summary>
public sealed record ConnectionListenerOptions
{
    /// <summary>Addresses to listen on, IPv4 and IPv6; port 0 picks a free port (see <see cref="ConnectionListener.BoundEndPoints"/>).</summary>
    public required IReadOnlyList<IPEndPoint> EndPoints { get; init; }

    /// <summary>The listener's name in messages, for example "submissions".</summary>
    public string Name { get; init; } = "listener";

    public ConnectionLimits Limits { get; init; } = ConnectionLimits.Default;

    /// <summary>
    /// When set, every connection (accepted or rejected) does a TLS handshake with these options before its
    /// callback runs: implicit TLS. Called once per connection, so a reloaded certificate is picked up.
    /// </summary>
    public Func<SslServerAuthenticationOptions>? ImplicitTls { get; init; }

    public ClientConnectionOptions Connection { get; init; } = ClientConnectionOptions.Default;

    /// <summary>The kernel's queue of connections not yet accepted.</summary>
    public int Backlog { get; init; } = 512;

    /// <summary>The longest a reject callback (with its TLS handshake) may take.</summary>
    public TimeSpan RejectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Rejections in progress at once; past this, connections over the limits are closed without a word.</summary>
    public int MaxPendingRejects { get; init; } = 64;
}
