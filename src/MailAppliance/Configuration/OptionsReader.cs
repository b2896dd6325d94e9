using MailAppliance.Storage.Durability;
using System.Globalization;
using System.Net;
using MailAppliance.Core.Addresses;
using MailAppliance.Core.Security;
using MailAppliance.Core.Text;
using MailAppliance.Smtp.Client;
using MailAppliance.Smtp.Client.Destinations;
using MailAppliance.Smtp.Queue;
using MailAppliance.Pipeline.Dns;
using Microsoft.Extensions.Configuration;
using Serilog.Events;

namespace MailAppliance.Configuration;

/// <summary>
/// Reads and validates <see cref="ApplianceOptions"/>. Every problem is reported with the key that holds it, so an
/// admin who mistypes a port sees <c>invalid configuration: Listeners:Imap: 'x' is not host:port</c> and nothing starts.
/// </summary>
public static partial class OptionsReader
{
    public const string DefaultDataDirectory = "/var/lib/mailappliance";
    public const long DefaultMaxMessageSize = 50L * 1024 * 1024;
    public const int DefaultMaxRecipients = 100;

    public static ApplianceOptions Read(IConfiguration configuration)
    {
        var hostname = configuration["Hostname"];
        if (string.IsNullOrWhiteSpace(hostname))
        {
            hostname = Dns.GetHostName();
        }
        else if (!DomainName.TryParse(hostname, out _, out var hostError))
        {
            throw new ConfigurationException("Hostname", hostError);
        }

        var dataDirectory = configuration["Storage:DataDirectory"];
        if (string.IsNullOrWhiteSpace(dataDirectory))
        {
            dataDirectory = DefaultDataDirectory;
        }
        else if (!Path.IsPathFullyQualified(dataDirectory))
        {
            dataDirectory = Path.GetFullPath(dataDirectory);
        }

        var binDirectory = Blank(configuration["Storage:PostgresBinDirectory"]);
        if (binDirectory is not null && !Directory.Exists(binDirectory))
        {
            throw new ConfigurationException("Storage:PostgresBinDirectory", $"directory '{binDirectory}' does not exist");
        }

        return new ApplianceOptions
        {
            Hostname = hostname.TrimEnd('.'),
            Storage = new StorageOptions(dataDirectory, binDirectory) { SyncMode = ReadSyncMode(configuration) },
            MetadataConnectionString = Blank(configuration["ConnectionStrings:Metadata"]),
            Listeners = new ListenerOptions(
                Endpoints(configuration, "Listeners:Smtp", "0.0.0.0:25"),
                Endpoints(configuration, "Listeners:Submission", "0.0.0.0:587"),
                Endpoints(configuration, "Listeners:Submissions", "0.0.0.0:465"),
                Endpoints(configuration, "Listeners:Imap", "0.0.0.0:143"),
                Endpoints(configuration, "Listeners:Imaps", "0.0.0.0:993"),
                Endpoints(configuration, "Listeners:Pop3", "0.0.0.0:110"),
                Endpoints(configuration, "Listeners:Pop3s", "0.0.0.0:995"),
                Endpoints(configuration, "Listeners:ManageSieve", "0.0.0.0:4190")),
            Tls = ReadTls(configuration),
            Auth = new AuthOptions(
                Boolean(configuration, "Auth:AllowPlaintextWithoutTls", false),
                (int)Integer(configuration, "Auth:Pbkdf2Iterations", PasswordHasher.DefaultIterations, PasswordHasher.MinimumIterations, 100_000_000)),
            Smtp = new SmtpOptions(
                Size(configuration, "Smtp:MaxMessageSize", DefaultMaxMessageSize),
                (int)Integer(configuration, "Smtp:MaxRecipients", DefaultMaxRecipients, 1, 100_000),
                Networks(configuration, "Smtp:TrustedNetworks"))
            {
                MaxConnections = (int)Integer(configuration, "Smtp:MaxConnections", 1000, 1, 1_000_000),
                MaxConnectionsPerIp = (int)Integer(configuration, "Smtp:MaxConnectionsPerIp", 20, 1, 1_000_000),
                CommandTimeout = TimeSpan.FromSeconds(Integer(configuration, "Smtp:CommandTimeoutSeconds", 300, 1, 86_400)),
                DataTimeout = TimeSpan.FromSeconds(Integer(configuration, "Smtp:DataTimeoutSeconds", 600, 1, 86_400)),
                MaxErrors = (int)Integer(configuration, "Smtp:MaxErrors", 10, 1, 1000),
            },
            Logging = new LoggingOptions(Level(configuration, "Logging:Level"), Blank(configuration["Logging:File"])),
            DeliveryRouting = ReadDeliveryRouting(configuration),
            Delivery = ReadDeliverySchedule(configuration, hostname.TrimEnd('.')),
            Dns = new DnsResolverOptions { Servers = DnsServers(configuration, "Dns:Servers") },
            Srs = ReadSrs(configuration, hostname.TrimEnd('.'), dataDirectory),
            Spam = ReadSpam(configuration),
            Forwarding = ReadForwarding(configuration),
            Http = ReadHttp(configuration),
            Reports = new ReportOptions
            {
                Enabled = Boolean(configuration, "Reports:Enabled", true),
                RetentionDays = (int)Integer(configuration, "Reports:RetentionDays", 30, 1, 3650),
            },
        };
    }

    private static HttpOptions ReadHttp(IConfiguration configuration)
    {
        const string ModeKey = "Http:MtaStsMode";
        var mode = Blank(configuration[ModeKey]) ?? "testing";
        if (mode is not ("enforce" or "testing" or "none"))
        {
            throw new ConfigurationException(ModeKey, $"'{mode}' is not enforce, testing or none");
        }

        var mx = new List<string>();
        foreach (var item in ListItems(configuration, "Http:MtaStsMx"))
        {
            // RFC 8461 §3.2: an mx pattern is a host name, or "*." and a host name.
            var host = item.StartsWith("*.", StringComparison.Ordinal) ? item[2..] : item;
            mx.Add(DomainName.TryParse(host, out _, out var error) ? item : throw new ConfigurationException("Http:MtaStsMx", $"'{item}': {error}"));
        }

        return new HttpOptions
        {
            Listen = Endpoints(configuration, "Http:Listen", "127.0.0.1:8080"),
            AllowPlaintextLogin = Boolean(configuration, "Http:AllowPlaintextLogin", false),
            MtaStsMode = mode,
            MtaStsMaxAge = Duration(configuration, "Http:MtaStsMaxAge", TimeSpan.FromDays(7)),
            MtaStsMx = mx,
        };
    }

    /// <summary>
    /// <c>Delivery:Port</c>, <c>Delivery:Routes</c> (a map: domain, <c>.parent</c> or <c>*</c> to <c>mx</c> or
    /// <c>[host]:port</c>) and <c>Delivery:Smarthosts</c> (a map: smarthost name to <c>UserName</c>,
    /// <c>Password</c> or <c>PasswordFile</c>, <c>Tls</c>).
    /// </summary>
    private static DeliveryRouting ReadDeliveryRouting(IConfiguration configuration)
    {
        var port = (int)Integer(configuration, "Delivery:Port", 25, 1, 65535);
        var routes = new Dictionary<string, DeliveryRoute>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in configuration.GetSection("Delivery:Routes").GetChildren())
        {
            var key = $"Delivery:Routes:{entry.Key}";
            if (entry.Key != "*" && !DomainName.TryParse(entry.Key.TrimStart('.'), out _, out var domainError))
            {
                throw new ConfigurationException(key, $"'{entry.Key}' is not a domain, .domain or *: {domainError}");
            }

            if (!DeliveryRoute.TryParse(entry.Value, out var route, out var error))
            {
                throw new ConfigurationException(key, error);
            }

            routes[entry.Key] = route!;
        }

        var smarthosts = new Dictionary<string, SmarthostSettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in configuration.GetSection("Delivery:Smarthosts").GetChildren())
        {
            var prefix = $"Delivery:Smarthosts:{entry.Key}";
            var user = Blank(entry["UserName"]);
            var password = entry["Password"];
            var passwordFile = Blank(entry["PasswordFile"]);
            if (passwordFile is not null)
            {
                if (!File.Exists(passwordFile))
                {
                    throw new ConfigurationException($"{prefix}:PasswordFile", $"file '{passwordFile}' does not exist");
                }

                password = File.ReadLines(passwordFile).FirstOrDefault() ?? "";
            }

            if ((user is null) != (password is null))
            {
                throw new ConfigurationException($"{prefix}:UserName", "UserName and Password (or PasswordFile) go together");
            }

            var tls = Blank(entry["Tls"])?.ToLowerInvariant() switch
            {
                null or "may" => TlsPolicy.Opportunistic,
                "encrypt" => TlsPolicy.RequiredUnverified,
                "verify" => TlsPolicy.RequiredVerified(entry.Key.TrimStart('[').TrimEnd(']')),
                "none" => TlsPolicy.None,
                var other => throw new ConfigurationException($"{prefix}:Tls", $"'{other}' is not none, may, encrypt or verify"),
            };
            smarthosts[entry.Key] = new SmarthostSettings(user is null ? null : new SmtpCredentials(user, password!), tls);
        }

        return new DeliveryRouting(routes, smarthosts, port);
    }

    /// <summary><c>Delivery:RetryMin</c>, <c>Delivery:RetryMax</c>, <c>Delivery:MaxLifetime</c>, <c>Delivery:DelayWarning</c>.</summary>
    private static DeliveryOptions ReadDeliverySchedule(IConfiguration configuration, string hostname)
    {
        var defaults = new DeliveryOptions();
        var retryMin = Duration(configuration, "Delivery:RetryMin", defaults.RetryMin, TimeSpan.FromSeconds(1));
        var retryMax = Duration(configuration, "Delivery:RetryMax", defaults.RetryMax, TimeSpan.FromSeconds(1));
        if (retryMax < retryMin)
        {
            throw new ConfigurationException("Delivery:RetryMax", $"'{configuration["Delivery:RetryMax"] ?? "1h"}' is shorter than Delivery:RetryMin");
        }

        return new DeliveryOptions
        {
            Hostname = hostname,
            RetryMin = retryMin,
            RetryMax = retryMax,
            MaxLifetime = Duration(configuration, "Delivery:MaxLifetime", defaults.MaxLifetime, TimeSpan.FromMinutes(1)),
            // 0 turns the warning off (as Postfix's delay_warning_time).
            DelayWarning = Duration(configuration, "Delivery:DelayWarning", defaults.DelayWarning, TimeSpan.Zero),
        };
    }

    /// <summary>INTERFACE.md: a duration is a number with s, m, h or d (<c>30s</c>, <c>4h</c>); a bare 0 is zero.</summary>
    private static TimeSpan Duration(IConfiguration configuration, string key, TimeSpan defaultValue, TimeSpan min)
    {
        var value = Blank(configuration[key]);
        if (value is null)
        {
            return defaultValue;
        }

        if (value == "0" && min == TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var unit = value[^1] switch
        {
            's' or 'S' => TimeSpan.FromSeconds(1),
            'm' or 'M' => TimeSpan.FromMinutes(1),
            'h' or 'H' => TimeSpan.FromHours(1),
            'd' or 'D' => TimeSpan.FromDays(1),
            _ => TimeSpan.Zero,
        };
        if (unit == TimeSpan.Zero || !long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || count > 36_500L * 86_400 || unit * count < min)
        {
            throw new ConfigurationException(key, $"'{value}' is not a duration of at least {(min == TimeSpan.Zero ? "0" : min.ToString())} (a number with s, m, h or d, for example 30s or 4h)");
        }

        return unit * count;
    }

    private static MailAppliance.Storage.Durability.SyncMode ReadSyncMode(IConfiguration configuration)
    {
        const string Key = "Storage:SyncMode";
        var value = Blank(configuration[Key]);
        if (value is null)
        {
            return MailAppliance.Storage.Durability.SyncMode.Auto;
        }

        if (!Enum.TryParse<MailAppliance.Storage.Durability.SyncMode>(value, ignoreCase: true, out var mode) || !Enum.IsDefined(mode) || value.Any(char.IsDigit))
        {
            throw new ConfigurationException(Key, $"'{value}' is not Auto, SyncFs or Fsync");
        }

        if (mode == MailAppliance.Storage.Durability.SyncMode.SyncFs && !MailAppliance.Storage.Durability.FileSystemBarrier.IsSupported)
        {
            throw new ConfigurationException(Key, "SyncFs needs Linux on x64 or arm64");
        }

        return mode;
    }

    private static TlsOptions ReadTls(IConfiguration configuration)
    {
        var certificate = Blank(configuration["Tls:CertificateFile"]);
        var key = Blank(configuration["Tls:KeyFile"]);
        if ((certificate is null) != (key is null))
        {
            throw new ConfigurationException(certificate is null ? "Tls:CertificateFile" : "Tls:KeyFile",
                "Tls:CertificateFile and Tls:KeyFile go together: set both, or neither for a generated self-signed certificate");
        }

        foreach (var (name, path) in new[] { ("Tls:CertificateFile", certificate), ("Tls:KeyFile", key) })
        {
            if (path is not null && !File.Exists(path))
            {
                throw new ConfigurationException(name, $"file '{path}' does not exist");
            }
        }

        return new TlsOptions(certificate, key);
    }

    /// <summary><c>host:port</c>, <c>[v6]:port</c>, <c>*:port</c>, or several separated by commas; empty disables.</summary>
    public static IReadOnlyList<IPEndPoint> Endpoints(IConfiguration configuration, string key, string defaultValue)
    {
        var value = configuration[key] ?? defaultValue;
        var endpoints = new List<IPEndPoint>();
        foreach (var item in value.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            endpoints.Add(ParseEndpoint(item) ?? throw new ConfigurationException(key, $"'{item}' is not host:port (for example 127.0.0.1:2525 or [::1]:2525; empty disables)"));
        }

        return endpoints;
    }

    private static IPEndPoint? ParseEndpoint(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return null;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            return null; // an IPv6 address needs brackets to be told from its port
        }

        IPAddress? address = host switch
        {
            "*" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(host, out var parsed) ? parsed : null,
        };
        return address is null ? null : new IPEndPoint(address, port);
    }

    private static bool Boolean(IConfiguration configuration, string key, bool defaultValue)
    {
        var value = Blank(configuration[key]);
        if (value is null)
        {
            return defaultValue;
        }

        return bool.TryParse(value, out var result) ? result : throw new ConfigurationException(key, $"'{value}' is not true or false");
    }

    private static long Integer(IConfiguration configuration, string key, long defaultValue, long min, long max)
    {
        var value = Blank(configuration[key]);
        if (value is null)
        {
            return defaultValue;
        }

        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result) || result < min || result > max)
        {
            throw new ConfigurationException(key, $"'{value}' is not a whole number from {min} to {max}");
        }

        return result;
    }

    private static long Size(IConfiguration configuration, string key, long defaultValue)
    {
        var value = Blank(configuration[key]);
        if (value is null)
        {
            return defaultValue;
        }

        if (!ByteSize.TryParse(value, out var result) || result < 1024)
        {
            throw new ConfigurationException(key, $"'{value}' is not a size of at least 1024 bytes (bytes, or with K, M, G)");
        }

        return result;
    }

    private static List<IPNetwork> Networks(IConfiguration configuration, string key)
    {
        var networks = new List<IPNetwork>();
        foreach (var raw in ListItems(configuration, key))
        {
            var text = raw.Contains('/', StringComparison.Ordinal) ? raw
                : IPAddress.TryParse(raw, out var single) ? $"{raw}/{(single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32)}" : raw;
            if (!IPNetwork.TryParse(text, out var network))
            {
                throw new ConfigurationException(key, $"'{raw}' is not a network in CIDR form (for example 192.0.2.0/24)");
            }

            networks.Add(network);
        }

        return networks;
    }

    /// <summary>A list (JSON array, or one string separated by commas or spaces) of <c>ip</c> or <c>ip:port</c>.</summary>
    private static List<IPEndPoint> DnsServers(IConfiguration configuration, string key)
    {
        var servers = new List<IPEndPoint>();
        foreach (var item in ListItems(configuration, key))
        {
            servers.Add(DnsServerAddress.TryParse(item, out var endpoint)
                ? endpoint
                : throw new ConfigurationException(key, $"'{item}' is not an IP address or ip:port (for example 192.0.2.53, 127.0.0.1:5353 or [::1]:53)"));
        }

        return servers;
    }

    // INTERFACE.md: a list is a JSON array (Key:0, Key:1, ...) or one string separated by commas or spaces; given
    // both, the array wins.
    private static IEnumerable<string> ListItems(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        var items = section.GetChildren().Any()
            ? section.GetChildren().Select(c => c.Value ?? "")
            : (section.Value ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
        return items.Select(i => i.Trim()).Where(i => i.Length > 0);
    }

    private static LogEventLevel Level(IConfiguration configuration, string key)
    {
        var value = Blank(configuration[key]);
        if (value is null)
        {
            return LogEventLevel.Information;
        }

        return Enum.TryParse<LogEventLevel>(value, ignoreCase: true, out var level) && Enum.IsDefined(level)
            ? level
            : throw new ConfigurationException(key, $"'{value}' is not one of Verbose, Debug, Information, Warning, Error, Fatal");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
