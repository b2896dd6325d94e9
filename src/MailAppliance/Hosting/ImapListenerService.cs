using MailAppliance.Configuration;
using MailAppliance.Core.Net;
using MailAppliance.Core.Security;
using MailAppliance.Core.Tls;
using MailAppliance.Imap.Server;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>The IMAP (143, STARTTLS) and IMAPS (993, implicit TLS) listeners.</summary>
public sealed class ImapListenerService : IHostedService
{
    // Desktop clients keep several connections each (Thunderbird up to 5 per account, plus IDLE ones).
    private const int MaxConnections = 20_000;
    private const int MaxConnectionsPerIp = 200;
    private static readonly byte[] TooManyConnections = "* BYE Too many connections, try again later\r\n"u8.ToArray();
    private readonly ApplianceOptions _options;
    private readonly ImapServices _services;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<ImapListenerService> _logger;
    private readonly List<ConnectionListener> _listeners = [];

    public ImapListenerService(
        ApplianceOptions options,
        MailStore store,
        Authenticator authenticator,
        AuthThrottle throttle,
        TlsCertificateProvider tls,
        MailboxChangeListener changes,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        _options = options;
        _services = new ImapServices(store, authenticator, throttle, tls, changes, time);
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
            TempDirectory = Path.Combine(_options.Storage.DataDirectory, "tmp", "imap"),
        };
        if (Directory.Exists(server.TempDirectory))
        {
            // Literals of sessions that ended with the last process: nothing refers to them any more.
            foreach (var stale in Directory.EnumerateFiles(server.TempDirectory))
            {
                File.Delete(stale);
            }
        }

        foreach (var (name, endpoints, implicitTls) in new[] { ("imap", _options.Listeners.Imap, false), ("imaps", _options.Listeners.Imaps, true) })
        {
            if (endpoints.Count == 0)
            {
                continue;
            }

            var sessionLogger = _loggers.CreateLogger("MailAppliance.Imap.Server.ImapSession");
            var listener = new ConnectionListener(
                new ConnectionListenerOptions
                {
                    EndPoints = endpoints,
                    Name = name,
                    Limits = new ConnectionLimits(MaxConnections, MaxConnectionsPerIp),
                    ImplicitTls = implicitTls ? _services.Tls.CreateServerOptions : null,
                },
                (connection, token) => new ImapSession(connection, server, _services, sessionLogger).RunAsync(token),
                async (connection, token) =>
                {
                    await connection.Output.WriteAsync(TooManyConnections, token);
                    await connection.Output.FlushAsync(token);
                },
                (message, exception) => _logger.LogWarning(exception, "{Listener}", message),
                _services.Time);
            await listener.StartAsync(cancellationToken);
            _listeners.Add(listener);
            _logger.LogInformation("IMAP {Name} listening on {EndPoints}", name, string.Join(", ", listener.BoundEndPoints.Select(e => e.ToString())));
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
