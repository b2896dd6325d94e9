using MailAppliance.Configuration;
using MailAppliance.Core.Net;
using MailAppliance.Core.Security;
using MailAppliance.Core.Tls;
using MailAppliance.ManageSieve.Protocol;
using MailAppliance.ManageSieve.Server;
using MailAppliance.Pipeline.Sieve;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Sieve;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MailAppliance.Storage.Database;

namespace MailAppliance.Hosting;

/// <summary>The ManageSieve listener (RFC 5804; <c>Listeners:ManageSieve</c>, 4190, STARTTLS).</summary>
public sealed class ManageSieveListenerService : IHostedService
{
    private const int MaxConnections = 1000;
    private const int MaxConnectionsPerIp = 20;
    private readonly ApplianceOptions _options;
    private readonly ManageSieveServices _services;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<ManageSieveListenerService> _logger;
    private ConnectionListener? _listener;

    public ManageSieveListenerService(
        ApplianceOptions options,
        Authenticator authenticator,
        AuthThrottle throttle,
        TlsCertificateProvider tls,
        StorageDatabase db,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        _options = options;
        _services = new ManageSieveServices(new SieveScriptStore(db, options.Storage.DataDirectory), new SieveScriptCache(), authenticator, throttle, tls, time);
        _loggers = loggers;
        _logger = loggers.CreateLogger<ManageSieveListenerService>();
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var server = new ManageSieveServerOptions
        {
            Hostname = _options.Hostname,
            AllowPlaintextAuth = _options.Auth.AllowPlaintextWithoutTls,
        };
        var sessionLogger = _loggers.CreateLogger("MailAppliance.ManageSieve.Server.ManageSieveSession");
        _listener = await ProtocolListeners.StartAsync(
            "ManageSieve", "managesieve", _options.Listeners.ManageSieve, new ConnectionLimits(MaxConnections, MaxConnectionsPerIp), null,
            (connection, token) => new ManageSieveSession(connection, server, _services, sessionLogger).RunAsync(token),
            ManageSieveReplies.TooManyConnections, _logger, _services.Time, cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is not null)
        {
            await _listener.StopAsync(TimeSpan.FromSeconds(10));
        }
    }
}
