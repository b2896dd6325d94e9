using MailAppliance.Storage.Durability;
using System.Globalization;
using System.Net;
using MailAppliance.Core.Addresses;
using MailAppliance.Core.Security;
using MailAppliance.Core.Text;
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
            Dns = new DnsResolverOptions { Servers = DnsServers(configuration, "Dns:Servers") },
            Srs = ReadSrs(configuration, hostname.TrimEnd('.'), dataDirectory),
            Spam = ReadSpam(configuration),
            Forwarding = ReadForwarding(configuration),
        };
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
