using MailAppliance.Configuration;
using MailAppliance.Core.Net;
using MailAppliance.Core.Security;
using MailAppliance.Core.Tls;
using MailAppliance.Pop3.Protocol;
using MailAppliance.Pop3.Server;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MailAppliance.Storage.Locks;

using MailAppliance.Web.Metrics;

namespace MailAppliance.Hosting;

/// <summary>The POP3 (110, STLS) and POP3S (995, implicit TLS) listeners.</summary>
public sealed class Pop3ListenerService : IHostedService
{
    // The SMTP figures serve here too until POP3 gets its own configuration section.
    private const int MaxConnections = 1000;
    private const int MaxConnectionsPerIp = 20;
    // Message bodies go out in 64 KiB socket writes; the next command of a client that sends it at once is read
    // without a thread-pool hop (ClientConnectionOptions.WriteBufferSize, InputWait).
    private static readonly ClientConnectionOptions BodyStreaming = new() { WriteBufferSize = 64 * 1024, InputWait = TimeSpan.FromMilliseconds(1) };
    private readonly ApplianceOptions _options;
    private readonly Pop3Services _services;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<Pop3ListenerService> _logger;
    private readonly List<ConnectionListener> _listeners = [];
    private readonly ListenerRegistry _registry;

    public Pop3ListenerService(
        ApplianceOptions options,
        MailStore store,
        Authenticator authenticator,
        AuthThrottle throttle,
        TlsCertificateProvider tls,
        MaildropLocks locks,
        TimeProvider time,
        ListenerRegistry registry,
        MailMetrics metrics,
        ILoggerFactory loggers)
    {
        _options = options;
        _registry = registry;
        _services = new Pop3Services(store, authenticator.WithFailureCallback(() => metrics.AuthFailed("pop3")), throttle, tls, locks, time);
        _loggers = loggers;
        _logger = loggers.CreateLogger<Pop3ListenerService>();
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var server = new Pop3ServerOptions
        {
            Hostname = _options.Hostname,
            AllowPlaintextAuth = _options.Auth.AllowPlaintextWithoutTls,
        };
        var sessionLogger = _loggers.CreateLogger("MailAppliance.Pop3.Server.Pop3Session");
        foreach (var (name, endpoints, implicitTls) in new[] { ("pop3", _options.Listeners.Pop3, false), ("pop3s", _options.Listeners.Pop3s, true) })
        {
            var listener = await ProtocolListeners.StartAsync(
                "POP3", name, endpoints, new ConnectionLimits(MaxConnections, MaxConnectionsPerIp), implicitTls ? _services.Tls.CreateServerOptions : null,
                (connection, token) => new Pop3Session(connection, server, _services, sessionLogger).RunAsync(token),
                Pop3Replies.TooManyConnections.ToBytes(), _logger, _services.Time, _registry, cancellationToken, BodyStreaming);
            if (listener is not null)
            {
                _listeners.Add(listener);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var listener in _listeners)
        {
            await listener.StopAsync(TimeSpan.FromSeconds(10));
        }
    }
}
