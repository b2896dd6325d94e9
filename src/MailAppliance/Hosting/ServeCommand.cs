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
using MailAppliance.Smtp.Server;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Locks;
using MailAppliance.Storage.Nodes;
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

    public static async Task<int> RunAsync(ApplianceOptions options, Serilog.ILogger serilog, CancellationToken cancellationToken)
    {
        using var loggers = new SerilogLoggerFactory(serilog, dispose: false);
        var log = loggers.CreateLogger("MailAppliance.Host");
        KeepThreadsReady();
        var notifier = new SystemdNotifier(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"), loggers.CreateLogger<SystemdNotifier>());
        log.LogInformation("MailAppliance starting as {Hostname}, data in {DataDirectory}", options.Hostname, options.Storage.DataDirectory);

        notifier.Notify("STATUS=Opening the metadata database");
        await using var database = await MetadataDatabase.OpenAsync(options, loggers, cancellationToken);
        log.LogInformation("Metadata database ready ({Kind})", database.IsEmbedded ? "embedded" : "external");

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
        builder.Services.AddSingleton<Authenticator>();
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
            sp.GetRequiredService<ILogger<SieveDelivery>>()));
        builder.Services.AddSingleton(sp => new LocalTransport(sp.GetRequiredService<MailStore>(), sp.GetRequiredService<SieveDelivery>(), sp.GetRequiredService<ILogger<LocalTransport>>()));
        builder.Services.AddSingleton(sp => new DeliveryScheduler(
            sp.GetRequiredService<MessageQueue>(), sp.GetRequiredService<RecipientRouter>(), sp.GetRequiredService<LocalTransport>(),
            new ChannelListener(database.Database, "queue_changed", sp.GetRequiredService<ILogger<DeliveryScheduler>>()),
            TimeProvider.System, sp.GetRequiredService<ILogger<DeliveryScheduler>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeliveryScheduler>());
        builder.Services.AddSingleton(sp => new SmtpServices(
            sp.GetRequiredService<AccountDirectory>(), sp.GetRequiredService<RecipientCache>(), sp.GetRequiredService<Authenticator>(), sp.GetRequiredService<AuthThrottle>(),
            sp.GetRequiredService<TlsCertificateProvider>(), sp.GetRequiredService<MessageQueue>(), sp.GetRequiredService<StagePipeline>(), TimeProvider.System)
        {
            Srs = srs,
        });
        builder.Services.AddHostedService<SmtpListenerService>();
        builder.Services.AddHostedService<Pop3ListenerService>();
        builder.Services.AddHostedService<ManageSieveListenerService>();
        builder.Services.AddSingleton<MailboxChangeListener>();
        builder.Services.AddHostedService<ImapListenerService>();
        builder.Services.AddSingleton(notifier);
        builder.Services.AddHostedService<SystemdLifecycleService>();

        using var host = builder.Build();
        await host.RunAsync(cancellationToken);
        log.LogInformation("MailAppliance stopped");
        return 0;
    }
}
