using MailAppliance.Configuration;
using MailAppliance.Core.Security;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Reports;
using MailAppliance.Web;
using MailAppliance.Web.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>Builds the HTTP side from the appliance's options and components (the host wires; Web holds the policy).</summary>
internal static class WebHosting
{
    public static WebServer Create(ApplianceOptions options, IServiceProvider sp, MailMetrics metrics)
    {
        var listeners = options.Listeners;
        var web = new WebOptions
        {
            Listen = options.Http.Listen,
            Hostname = options.Hostname,
            KeyDirectory = Path.Combine(options.Storage.DataDirectory, "web-keys"),
            Imaps = Port(listeners.Imaps),
            Imap = Port(listeners.Imap),
            Submissions = Port(listeners.Submissions),
            Submission = Port(listeners.Submission),
            Pop3s = Port(listeners.Pop3s),
            Pop3 = Port(listeners.Pop3),
            MtaStsMode = options.Http.MtaStsMode,
            MtaStsMaxAge = options.Http.MtaStsMaxAge,
            MtaStsMx = options.Http.MtaStsMx,
            AllowPlaintextLogin = options.Http.AllowPlaintextLogin,
        };
        var registry = sp.GetRequiredService<ListenerRegistry>();
        var gauges = sp.GetRequiredService<FlowGauges>();
        var time = sp.GetRequiredService<TimeProvider>();
        var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailAppliance.Web");
        metrics.ReadGaugesBeforeScrape(
            async cancellationToken =>
            {
                try
                {
                    return await gauges.QueueAsync(time.GetUtcNow(), cancellationToken);
                }
                catch (Exception e) when (Storage.Database.StorageFailures.IsTemporary(e))
                {
                    logger.LogDebug(e, "Queue gauges unavailable");
                    return null;
                }
            },
            () => registry.Sessions("IMAP"),
            () => registry.Sessions("POP3"));
        var services = new WebServices(
            sp.GetRequiredService<AccountDirectory>(),
            sp.GetRequiredService<Authenticator>().WithFailureCallback(() => metrics.AuthFailed("http")),
            sp.GetRequiredService<AuthThrottle>(),
            sp.GetRequiredService<PasswordHasher>(),
            sp.GetRequiredService<MessageQueue>(),
            sp.GetRequiredService<ReportStore>(),
            sp.GetRequiredService<ReportFeed>(),
            gauges,
            metrics,
            time)
        {
            ListenersUp = () => registry.AllUp,
            Spam = new Storage.Spam.SpamSettingsStore(sp.GetRequiredService<Storage.Database.StorageDatabase>()),
            SpamDefaults = (options.Spam.TagThreshold, options.Spam.RejectThreshold, options.Forwarding.DiscardThreshold),
            Forwarding = options.Forwarding,
            Vacation = new Pipeline.Sieve.VacationSettings(new Storage.Sieve.SieveScriptStore(sp.GetRequiredService<Storage.Database.StorageDatabase>(), options.Storage.DataDirectory)),
        };
        return new WebServer(web, services, sp.GetRequiredService<ILoggerFactory>());
    }

    private static int? Port(IReadOnlyList<System.Net.IPEndPoint> endPoints) => endPoints.Count == 0 ? null : endPoints[0].Port;
}
