using MailAppliance.Storage.Durability;
using System.Net;

namespace MailAppliance.Configuration;

/// <summary>Every setting of the appliance, parsed and validated (see docs/configuration.md for each key).</summary>
public sealed record ApplianceOptions
{
    public required string Hostname { get; init; }

    public required StorageOptions Storage { get; init; }

    /// <summary><c>ConnectionStrings:Metadata</c>; empty means the embedded PostgreSQL cluster.</summary>
    public string? MetadataConnectionString { get; init; }

    public required ListenerOptions Listeners { get; init; }

    public required TlsOptions Tls { get; init; }

    public required AuthOptions Auth { get; init; }

    public required SmtpOptions Smtp { get; init; }

    public required LoggingOptions Logging { get; init; }

    /// <summary><c>Delivery:Port</c>, <c>Delivery:Routes</c>, <c>Delivery:Smarthosts</c>: where outbound mail goes.</summary>
    public MailAppliance.Smtp.Client.Destinations.DeliveryRouting DeliveryRouting { get; init; } = MailAppliance.Smtp.Client.Destinations.DeliveryRouting.Default;

    /// <summary><c>Delivery:RetryMin</c>, <c>RetryMax</c>, <c>MaxLifetime</c>, <c>DelayWarning</c> (and <c>Hostname</c> for DSNs).</summary>
    public MailAppliance.Smtp.Queue.DeliveryOptions Delivery { get; init; } = new();

    /// <summary><c>Dns:Servers</c> and the resolver's defaults.</summary>
    public MailAppliance.Pipeline.Dns.DnsResolverOptions Dns { get; init; } = new();

    /// <summary><c>Srs:*</c>: sender rewriting for forwarded mail.</summary>
    public required MailAppliance.Pipeline.Srs.SrsOptions Srs { get; init; }

    /// <summary><c>Forwarding:*</c>: discard thresholds for forwarded spam, per destination domain.</summary>
    public MailAppliance.Pipeline.Routing.ForwardingOptions Forwarding { get; init; } = new();

    /// <summary><c>Spam:*</c>: scoring thresholds, rules, network lists, clamd, limits.</summary>
    public required MailAppliance.Pipeline.Scoring.SpamOptions Spam { get; init; }

    /// <summary><c>Http:*</c>: metrics, health, the console, autoconfig.</summary>
    public HttpOptions Http { get; init; } = new();

    /// <summary><c>Reports:*</c>: the report events.</summary>
    public ReportOptions Reports { get; init; } = new();
}

/// <summary><c>Http:Listen</c> (plain HTTP; empty turns the HTTP side off) and what the console and MTA-STS policy say.</summary>
public sealed record HttpOptions
{
    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [new IPEndPoint(IPAddress.Loopback, 8080)];

    public bool AllowPlaintextLogin { get; init; }

    public string MtaStsMode { get; init; } = "testing";

    public TimeSpan MtaStsMaxAge { get; init; } = TimeSpan.FromDays(7);

    public IReadOnlyList<string> MtaStsMx { get; init; } = [];
}

/// <summary><c>Reports:Enabled</c> (true) and <c>Reports:RetentionDays</c> (30).</summary>
public sealed record ReportOptions
{
    public bool Enabled { get; init; } = true;

    public int RetentionDays { get; init; } = 30;
}

public sealed record StorageOptions(string DataDirectory, string? PostgresBinDirectory)
{
    /// <summary><c>Storage:SyncMode</c>: how the spool and the mail store make writes durable.</summary>
    public MailAppliance.Storage.Durability.SyncMode SyncMode { get; init; } = MailAppliance.Storage.Durability.SyncMode.Auto;

    public string MailDirectory => Path.Combine(DataDirectory, "mail");

    public string SpoolDirectory => Path.Combine(DataDirectory, "spool");

    public string PostgresDirectory => Path.Combine(DataDirectory, "pg");

    public string TlsDirectory => Path.Combine(DataDirectory, "tls");

    /// <summary>DKIM private keys, one file per key (mode 0600).</summary>
    public string DkimDirectory => Path.Combine(DataDirectory, "dkim");
}

/// <summary>Where each listener binds; an empty list disables that listener.</summary>
public sealed record ListenerOptions(
    IReadOnlyList<IPEndPoint> Smtp,
    IReadOnlyList<IPEndPoint> Submission,
    IReadOnlyList<IPEndPoint> Submissions,
    IReadOnlyList<IPEndPoint> Imap,
    IReadOnlyList<IPEndPoint> Imaps,
    IReadOnlyList<IPEndPoint> Pop3,
    IReadOnlyList<IPEndPoint> Pop3s,
    IReadOnlyList<IPEndPoint> ManageSieve);

public sealed record TlsOptions(string? CertificateFile, string? KeyFile);

public sealed record AuthOptions(bool AllowPlaintextWithoutTls, int Pbkdf2Iterations);

public sealed record SmtpOptions(long MaxMessageSize, int MaxRecipients, IReadOnlyList<IPNetwork> TrustedNetworks)
{
    public int MaxConnections { get; init; } = 1000;

    public int MaxConnectionsPerIp { get; init; } = 20;

    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public int MaxErrors { get; init; } = 10;
}

public sealed record LoggingOptions(Serilog.Events.LogEventLevel Level, string? File);
