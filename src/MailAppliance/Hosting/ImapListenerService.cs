using MailAppliance.Storage.Nodes;
using MailAppliance.Configuration;
using MailAppliance.Core.Net;
using MailAppliance.Core.Security;
using MailAppliance.Core.Tls;
using MailAppliance.Imap.Server;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using MailAppliance.Web.Metrics;

namespace MailAppliance.Hosting;

/// <summary>The IMAP (143, STARTTLS) and IMAPS (993, implicit TLS) listeners.</summary>
public sealed class ImapListenerService : IHostedService
{
    // Desktop clients keep several connections each (Thunderbird up to 5 per account, plus IDLE ones).
    private const int MaxConnections = 20_000;
    private const int MaxConnectionsPerIp = 200;
    private static readonly byte[] TooManyConnections = "* BYE Too many connections, try again later\r\n"u8.ToArray();
    // Message bodies go out in 64 KiB socket writes; the next command of a client that sends it at once is read
    // without a thread-pool hop (ClientConnectionOptions.WriteBufferSize, InputWait).
    private static readonly ClientConnectionOptions BodyStreaming = new() { WriteBufferSize = 64 * 1024, InputWait = TimeSpan.FromMilliseconds(1) };
    private readonly ApplianceOptions _options;
    private readonly NodeIdentity _node;
    private readonly ImapServices _services;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<ImapListenerService> _logger;
    private readonly List<ConnectionListener> _listeners = [];
    private readonly ListenerRegistry _registry;

    public ImapListenerService(
        ApplianceOptions options,
        MailStore store,
        Authenticator authenticator,
        AuthThrottle throttle,
        TlsCertificateProvider tls,
        MailboxChangeListener changes,
        NodeIdentity node,
        TimeProvider time,
        ListenerRegistry registry,
        MailMetrics metrics,
        ILoggerFactory loggers)
    {
        _options = options;
        _registry = registry;
        _node = node;
        _services = new ImapServices(store, authenticator.WithFailureCallback(() => metrics.AuthFailed("imap")), throttle, tls, changes, time);
        _loggers = loggers;
        _logger = loggers.CreateLogger<ImapListenerService>();
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var server = new ImapServerOptions
        {
            Hostname = _options.Hostname,
            AllowPlaintextAuth = _options.Auth.AllowPlaintextWithoutTls,
            MaxAppendSize = _options.Smtp.MaxMessageSize,
            // Literals of sessions of this node; what dead nodes' sessions left goes (a live peer's stays).
            TempDirectory = NodeScratch.Prepare(Path.Combine(_options.Storage.DataDirectory, "tmp", "imap"), _node),
        };

        var sessionLogger = _loggers.CreateLogger("MailAppliance.Imap.Server.ImapSession");
        foreach (var (name, endpoints, implicitTls) in new[] { ("imap", _options.Listeners.Imap, false), ("imaps", _options.Listeners.Imaps, true) })
        {
            var listener = await ProtocolListeners.StartAsync(
                "IMAP", name, endpoints, new ConnectionLimits(MaxConnections, MaxConnectionsPerIp), implicitTls ? _services.Tls.CreateServerOptions : null,
                (connection, token) => new ImapSession(connection, server, _services, sessionLogger).RunAsync(token),
                TooManyConnections, _logger, _services.Time, _registry, cancellationToken, BodyStreaming);
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
