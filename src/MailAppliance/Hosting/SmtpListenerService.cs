using System.Net;
using MailAppliance.Configuration;
using MailAppliance.Core.Net;
using MailAppliance.Core.Tls;
using MailAppliance.Smtp.Protocol;
using MailAppliance.Smtp.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>The MX (25), submission (587, STARTTLS) and submissions (465, implicit TLS) listeners.</summary>
public sealed class SmtpListenerService : IHostedService
{
    private readonly ApplianceOptions _options;
    private readonly SmtpServices _services;
    private readonly TlsCertificateProvider _tls;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<SmtpListenerService> _logger;
    private readonly List<ConnectionListener> _listeners = [];
    private readonly ListenerRegistry _registry;

    public SmtpListenerService(ApplianceOptions options, SmtpServices services, TlsCertificateProvider tls, ListenerRegistry registry, ILoggerFactory loggers)
    {
        _options = options;
        _registry = registry;
        _services = services;
        _tls = tls;
        _loggers = loggers;
        _logger = loggers.CreateLogger<SmtpListenerService>();
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var server = new SmtpServerOptions
        {
            Hostname = _options.Hostname,
            MaxMessageSize = _options.Smtp.MaxMessageSize,
            MaxRecipients = _options.Smtp.MaxRecipients,
            TrustedNetworks = _options.Smtp.TrustedNetworks,
            AllowPlaintextAuth = _options.Auth.AllowPlaintextWithoutTls,
            CommandTimeout = _options.Smtp.CommandTimeout,
            DataTimeout = _options.Smtp.DataTimeout,
            MaxErrors = _options.Smtp.MaxErrors,
        };
        var sessionLogger = _loggers.CreateLogger("MailAppliance.Smtp.Server.SmtpSession");
        foreach (var (role, endpoints) in new[] { (SmtpRole.Mx, _options.Listeners.Smtp), (SmtpRole.Submission, _options.Listeners.Submission), (SmtpRole.Submissions, _options.Listeners.Submissions) })
        {
            var listener = await ProtocolListeners.StartAsync(
                "SMTP", $"smtp-{role.ToString().ToLowerInvariant()}", endpoints, new ConnectionLimits(_options.Smtp.MaxConnections, _options.Smtp.MaxConnectionsPerIp) { Exempt = _options.Smtp.TrustedNetworks },
                role == SmtpRole.Submissions ? _tls.CreateServerOptions : null,
                (connection, token) => new SmtpSession(connection, role, server, _services, sessionLogger).RunAsync(token),
                SmtpReplies.TooManyConnections.ToBytes(), _logger, _services.Time, _registry, cancellationToken);
            if (listener is not null)
            {
                _listeners.Add(listener);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _registry.Stopping();
        foreach (var listener in _listeners)
        {
            await listener.StopAsync(TimeSpan.FromSeconds(10));
        }
    }
}
