using System.Net;
using System.Net.Security;
using MailAppliance.Core.Net;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>Opens one protocol listener the way every hosted listener service does (limits, implicit TLS, a refusal line, logging).</summary>
internal static class ProtocolListeners
{
    /// <summary>Starts a listener on <paramref name="endPoints"/>; null when the list is empty (the listener is turned off).</summary>
    public static async Task<ConnectionListener?> StartAsync(
        string protocol,
        string name,
        IReadOnlyList<IPEndPoint> endPoints,
        ConnectionLimits limits,
        Func<SslServerAuthenticationOptions>? implicitTls,
        Func<ClientConnection, CancellationToken, Task> runSession,
        ReadOnlyMemory<byte> tooManyConnections,
        ILogger logger,
        TimeProvider time,
        ListenerRegistry registry,
        CancellationToken cancellationToken,
        ClientConnectionOptions? connection = null)
    {
        if (endPoints.Count == 0)
        {
            return null;
        }

        var listener = new ConnectionListener(
            new ConnectionListenerOptions { EndPoints = endPoints, Name = name, Limits = limits, ImplicitTls = implicitTls, Connection = connection ?? ClientConnectionOptions.Default },
            registry.Counting(protocol, name, runSession),
            async (connection, token) =>
            {
                await connection.Output.WriteAsync(tooManyConnections, token);
                await connection.Output.FlushAsync(token);
            },
            (message, exception) => logger.LogWarning(exception, "{Listener}", message),
            time);
        await listener.StartAsync(cancellationToken);
        registry.Add(protocol, name, listener);
        logger.LogInformation("{Protocol} {Name} listening on {EndPoints}", protocol, name, string.Join(", ", listener.BoundEndPoints.Select(e => e.ToString())));
        return listener;
    }
}
