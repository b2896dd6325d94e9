using MailAppliance.Pipeline.Stages;
using MailAppliance.Pipeline.Routing;
using MailAppliance.Pipeline.Checks;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Pipeline.Sieve;
using MailAppliance.Storage.Sieve;
using MailAppliance.Storage.Durability;
using MailAppliance.Configuration;
using MailAppliance.Core.Security;
using MailAppliance.Database;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Core.Tls;
using MailAppliance.Smtp.Queue;
using MailAppliance.Smtp.Client;
using MailAppliance.Smtp.Client.Destinations;
using MailAppliance.Smtp.Client.MtaSts;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Storage.Dkim;
using MailAppliance.Storage.Policies;
using MailAppliance.Smtp.Server;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Locks;
using MailAppliance.Storage.Nodes;
using MailAppliance.Storage.Reports;
using MailAppliance.Web;
using MailAppliance.Web.Metrics;
using Serilog.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>
/// <c>mailappliance serve</c>: opens the metadata database (starting the embedded cluster when configured so), then
/// runs every listener as a hosted service until SIGTERM or SIGINT, then stops them and the cluster it started.
/// </summary>
public static class ServeCommand
{
    /// <summary>
    /// A burst of sessions (32 senders at once) finds the thread pool at its minimum of one thread per core, and
    /// short blocking calls (a rename, opening a spool file, parsing a message) then wait for the pool to add threads
    /// at its slow pace: the first burst after start saw 350 ms at p99 instead of 85 ms. Threads up to this many are
    /// created at once when needed (not kept busy: an idle pool thread costs a stack and nothing else).
    /// </summary>
    private static void KeepThreadsReady()
    {
        const int ReadyWorkers = 32;
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, ReadyWorkers), completionPorts);
    }

    /// <summary>
    /// Mail that leaves, on the appliance's one resolver (<c>Dns:Servers</c>): destinations (<c>Delivery:Routes</c>, MX, MTA-STS with
    /// policies kept in PostgreSQL, DANE), the SMTP client with its connection cache, and DKIM signing with the keys
    /// of <c>dkim generate</c> (docs/outbound.md).
    /// </summary>
    private static void AddOutbound(IServiceCollection services, ApplianceOptions options, StorageDatabase database, ChannelListener dkimKeysChanged)
    {
        services.AddSingleton(sp => MtaStsFetcher.ForResolver(sp.GetRequiredService<IDnsResolver>()));
        services.AddSingleton(sp => new DestinationResolver(
            sp.GetRequiredService<IDnsResolver>(),
            options.DeliveryRouting,
            new DestinationOptions { LocalHostNames = [options.Hostname] },
            new MtaStsResolver(sp.GetRequiredService<IDnsResolver>(), sp.GetRequiredService<MtaStsFetcher>(),
                new PersistentMtaStsPolicyStore(new MtaStsPolicyTable(database)), TimeProvider.System)));
        services.AddSingleton(_ => new SmtpDelivery(new SmtpClientOptions { HeloName = options.Hostname }, TimeProvider.System));
        services.AddSingleton(sp => new SmtpTransport(sp.GetRequiredService<SmtpDelivery>(), sp.GetRequiredService<DestinationResolver>(), sp.GetRequiredService<ILogger<SmtpTransport>>()));
        services.AddSingleton(sp => new OutboundSigning(
            new DkimSigningService(new CachedDkimKeys(
                new StoredDkimKeys(new DkimKeyStore(database)),
                dkimKeysChanged,
                TimeProvider.System)),
            options.Smtp.TrustedNetworks, sp.GetRequiredService<ILogger<OutboundSigning>>()));
    }

    public static async Task<int> RunAsync(ApplianceOptions options, Serilog.ILogger serilog, CancellationToken cancellationToken)
    {
        using var loggers = new SerilogLoggerFactory(serilog, dispose: false);
        var log = loggers.CreateLogger("MailAppliance.Host");
        KeepThreadsReady();
        var notifier = new SystemdNotifier(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"), loggers.CreateLogger<SystemdNotifier>());
        log.LogInformation("MailAppliance starting as {Hostname}, data in {DataDirectory}", options.Hostname, options.Storage.DataDirectory);
        if (OperatingSystem.IsLinux() && !PromptTiering.IsOff)
        {
            log.LogWarning("The runtime's tiering delay is on ({Variable} is not 0): hot code is optimised late, intake and delivery cost more CPU (docs/admin-guide.md)", PromptTiering.Variable);
        }

        notifier.Notify("STATUS=Opening the metadata database");
        await using var database = await MetadataDatabase.OpenAsync(options, loggers, cancellationToken);
        log.LogInformation("Metadata database ready ({Kind})", database.IsEmbedded ? "embedded" : "external");

        // The LISTEN connections stop before the database they listen on (disposed in the reverse order of these
        // lines, after the host): left running, they logged the embedded cluster's shutdown as a lost connection.
        await using var queueChanged = new ChannelListener(database.Database, "queue_changed", loggers.CreateLogger<DeliveryScheduler>());
        await using var dkimKeysChanged = new ChannelListener(database.Database, "dkim_keys_changed", loggers.CreateLogger<OutboundSigning>());

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new SerilogLoggerProvider(serilog, dispose: false));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(database.Database);
        using var node = NodeIdentity.Register(options.Storage.DataDirectory);
        builder.Services.AddSingleton(node);
        builder.Services.AddSingleton(sp => new MaildropLocks(database.Database, node, options.Storage.DataDirectory, TimeProvider.System, sp.GetRequiredService<ILogger<MaildropLocks>>()));
        builder.Services.AddSingleton(new PasswordHasher(options.Auth.Pbkdf2Iterations));
        builder.Services.AddSingleton<AccountDirectory>();

        // One barrier for the process: the spool and the mail store share its flushes.
        var barrier = FileSystemBarrier.For(options.Storage.SyncMode);
        builder.Services.AddSingleton(new MailstoreOptions(options.Storage.DataDirectory) { SyncMode = options.Storage.SyncMode, Barrier = barrier });
        builder.Services.AddSingleton<MailStore>();
        builder.Services.AddHostedService<MailstoreRecoveryService>();
        builder.Services.AddSingleton<MailAppliance.Storage.Import.FetchAccountStore>();
        builder.Services.AddHostedService<MailAppliance.Import.BoxPoller>();
        builder.Services.AddSingleton<SearchIndexer>();
        builder.Services.AddHostedService<SearchIndexerService>();
        builder.Services.AddHostedService<MaildirFlagSyncService>();
        // Listening from the start: nothing is remembered until directory notifications arrive, so a cache that
        // began listening at the first login would make the first two logins pay in full.
        builder.Services.AddSingleton(sp =>
        {
            var cache = ActivatorUtilities.CreateInstance<VerifiedCredentialsCache>(sp);
            cache.EnsureStarted();
            return cache;
        });
        builder.Services.AddSingleton<Authenticator>();

        // Reports and metrics: every decision is an event, recorded into a bounded buffer that one writer drains in
        // batches (never on the path to a reply), and counted on its way in.
        var metrics = new MailMetrics();
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton<ReportStore>();
        builder.Services.AddSingleton<FlowGauges>();
        builder.Services.AddSingleton(sp => new ReportWriter(sp.GetRequiredService<ReportStore>(), TimeProvider.System, sp.GetRequiredService<ILogger<ReportWriter>>()));
        builder.Services.AddSingleton<IReportSink>(sp => new MeteredReportSink(
            options.Reports.Enabled ? sp.GetRequiredService<ReportWriter>() : NullReportSink.Instance, metrics));
        builder.Services.AddSingleton<ReportFeed>();
        builder.Services.AddHostedService<ReportMaintenanceService>();
        var configured = new[] { options.Listeners.Smtp, options.Listeners.Submission, options.Listeners.Submissions, options.Listeners.Imap, options.Listeners.Imaps, options.Listeners.Pop3, options.Listeners.Pop3s }
            .Count(l => l.Count > 0);
        builder.Services.AddSingleton(new ListenerRegistry(metrics, configured));
        builder.Services.AddSingleton(new AuthThrottle());
        builder.Services.AddSingleton(new MessageSpool(options.Storage.SpoolDirectory, TimeProvider.System, options.Storage.SyncMode, barrier, node));
        builder.Services.AddSingleton<MessageQueue>();
        builder.Services.AddSingleton(sp => new TlsCertificateProvider(
            new TlsCertificateOptions
            {
                CertificateFile = options.Tls.CertificateFile,
                KeyFile = options.Tls.KeyFile,
                SelfSignedDirectory = options.Storage.TlsDirectory,
                HostName = options.Hostname,
            },
            TimeProvider.System,
            (message, exception) => sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailAppliance.Core.Tls").LogWarning(exception, "{Message}", message)));
        builder.Services.AddSingleton<RecipientCache>();

        // The flow of a message: intake checks → queue → routing → transports (docs/architecture.md).
        var localDomains = new LocalDomains(new AccountDirectory(database.Database), TimeProvider.System, [options.Hostname, options.Srs.Domain]);
        await localDomains.RefreshAsync(cancellationToken);
        builder.Services.AddSingleton(localDomains);
        var resolver = new DnsResolver(options.Dns, TimeProvider.System);
        builder.Services.AddSingleton<IDnsResolver>(resolver);
        var scanner = SpamScannerFactory.Create(options, database.Database, resolver, localDomains, loggers);
        builder.Services.AddSingleton(scanner);
        await using var spamPolicies = scanner.Policies; // its LISTEN connection closes after the host stops
        builder.Services.AddHostedService<JunkLearningService>();
        builder.Services.AddSingleton(sp => new StagePipeline(
            [
                new HeloCheck(),
                new HeaderCheck(),
                new HopCountCheck(),
                new SpamCheck(scanner.Scanner, scanner.Authenticator, SpamCheck.FirstUser(sp.GetRequiredService<RecipientCache>()), options.Hostname,
                    options.Spam.TimeBudget * 0.4, TimeProvider.System, sp.GetRequiredService<ILogger<SpamCheck>>())
                {
                    CheckLoopbackClients = options.Dns.Servers.Count > 0,
                },
            ],
            TimeProvider.System, sp.GetRequiredService<ILogger<StagePipeline>>(), options.Spam.TimeBudget));
        // SRS: the secret file is created with a random secret at first start (postsrsd's format).
        var srs = options.Srs.CreateRewriter(TimeProvider.System);
        builder.Services.AddSingleton(sp => new RecipientRouter(sp.GetRequiredService<RecipientCache>(), srs, localDomains.Contains, options.Forwarding));
        builder.Services.AddSingleton(sp => new SieveDelivery(
            new SieveInterpreter(TimeProvider.System, new SieveScriptCache()), new SieveScriptStore(database.Database, options.Storage.DataDirectory),
            new PostgresSieveMemory(database.Database), sp.GetRequiredService<MessageQueue>(), options.Hostname, TimeProvider.System,
            sp.GetRequiredService<ILogger<SieveDelivery>>())
        {
            // A redirect out of our domains leaves from the SRS form of a foreign sender, as a forward does.
            RedirectSender = (sender, target) =>
            {
                var at = target.LastIndexOf('@');
                if (at < 0 || localDomains.Contains(target[(at + 1)..]))
                {
                    return null;
                }

                var rewritten = srs.Forward(sender, localDomains.Contains);
                return rewritten == sender ? null : rewritten;
            },
        });
        builder.Services.AddSingleton(sp => new LocalTransport(sp.GetRequiredService<MailStore>(), sp.GetRequiredService<SieveDelivery>(), sp.GetRequiredService<ILogger<LocalTransport>>()));
        AddOutbound(builder.Services, options, database.Database, dkimKeysChanged);
        builder.Services.AddSingleton(sp => new DeliveryScheduler(
            sp.GetRequiredService<MessageQueue>(), sp.GetRequiredService<RecipientRouter>(), sp.GetRequiredService<LocalTransport>(),
            queueChanged,
            TimeProvider.System, sp.GetRequiredService<ILogger<DeliveryScheduler>>(),
            options.Delivery, sp.GetRequiredService<SmtpTransport>(), sp.GetRequiredService<OutboundSigning>(),
            new ForwardOutcomes(sp.GetRequiredService<AccountDirectory>(), options.Forwarding.PauseAfter, sp.GetRequiredService<ILogger<ForwardOutcomes>>()))
        {
            Events = new ReportingDeliveryEvents(sp.GetRequiredService<IReportSink>(), TimeProvider.System),
        });
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeliveryScheduler>());
        builder.Services.AddSingleton(sp => new SmtpServices(
            sp.GetRequiredService<AccountDirectory>(), sp.GetRequiredService<RecipientCache>(),
            sp.GetRequiredService<Authenticator>().WithFailureCallback(() => metrics.AuthFailed("smtp")), sp.GetRequiredService<AuthThrottle>(),
            sp.GetRequiredService<TlsCertificateProvider>(), sp.GetRequiredService<MessageQueue>(), sp.GetRequiredService<StagePipeline>(), TimeProvider.System)
        {
            Reports = sp.GetRequiredService<IReportSink>(),
            Srs = srs,
        });
        builder.Services.AddHostedService<SmtpListenerService>();
        builder.Services.AddHostedService<Pop3ListenerService>();
        builder.Services.AddHostedService<ManageSieveListenerService>();
        builder.Services.AddSingleton<MailboxChangeListener>();
        builder.Services.AddHostedService<ImapListenerService>();
        builder.Services.AddSingleton(sp => WebHosting.Create(options, sp, metrics));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebServer>());
        builder.Services.AddSingleton(notifier);
        builder.Services.AddHostedService<SystemdLifecycleService>();
        builder.Services.AddHostedService(sp => new SystemdWatchdog(notifier,
            SystemdWatchdog.IntervalFrom(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"), Environment.ProcessId),
            sp.GetRequiredService<TimeProvider>()));

        using var host = builder.Build();
        await host.RunAsync(cancellationToken);
        log.LogInformation("MailAppliance stopped");
        return 0;
    }
}
