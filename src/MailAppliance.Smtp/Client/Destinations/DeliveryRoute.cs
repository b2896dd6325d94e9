using System.Globalization;

namespace MailAppliance.Smtp.Client.Destinations;

/// <summary>
/// How mail for a domain leaves (<c>Delivery:Routes</c>): by the domain's MX records, or through a smarthost named
/// <c>[host]:port</c>, whose brackets say "no MX lookup for this name" (as in Postfix's relayhost).
/// </summary>
public abstract record DeliveryRoute
{
    public static DeliveryRoute Mx { get; } = new MxRoute();

    public sealed record MxRoute : DeliveryRoute
    {
        public override string ToString() => "mx";
    }

    /// <param name="Host">A host name or an IP address literal (without brackets).</param>
    /// <param name="Port">Null: <c>Delivery:Port</c>.</param>
    public sealed record SmarthostRoute(string Host, int? Port) : DeliveryRoute
    {
        public override string ToString() => Port is null ? $"[{Host}]" : string.Create(CultureInfo.InvariantCulture, $"[{Host}]:{Port}");
    }

    /// <summary>Parses <c>mx</c>, <c>[host]</c> or <c>[host]:port</c> (<c>[192.0.2.1]:587</c>, <c>[::1]:2525</c>).</summary>
    public static bool TryParse(string? text, out DeliveryRoute? route, out string error)
    {
        route = null;
        error = "";
        var value = text?.Trim() ?? "";
        if (value.Equals("mx", StringComparison.OrdinalIgnoreCase))
        {
            route = Mx;
            return true;
        }

        var close = value.IndexOf(']', StringComparison.Ordinal);
        if (!value.StartsWith('[') || close < 2)
        {
            error = $"'{value}' is not mx or [host]:port";
            return false;
        }

        var host = value[1..close].TrimEnd('.').ToLowerInvariant();
        var rest = value[(close + 1)..];
        int? port = null;
        if (rest.Length > 0)
        {
            if (!rest.StartsWith(':') || !int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > 65535)
            {
                error = $"'{value}' has no valid port after the host (1 to 65535)";
                return false;
            }

            port = parsed;
        }

        var isAddress = System.Net.IPAddress.TryParse(host, out _);
        if (!isAddress && !host.Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            error = $"'{host}' is neither a host name nor an IP address";
            return false;
        }

        route = new SmarthostRoute(host, port);
        return true;
    }
}

/// <summary>What <c>Delivery:Smarthosts:HOST</c> says about one smarthost: credentials and the TLS it needs.</summary>
public sealed record SmarthostSettings(SmtpCredentials? Credentials, TlsPolicy Tls);

/// <summary>
/// <c>Delivery:Routes</c>, <c>Delivery:Smarthosts</c> and <c>Delivery:Port</c> together: which route a recipient
/// domain takes. A domain's own entry wins, then an entry <c>.parent</c> for any domain below parent, then <c>*</c>,
/// then MX.
/// </summary>
public sealed record DeliveryRouting(IReadOnlyDictionary<string, DeliveryRoute> Routes, IReadOnlyDictionary<string, SmarthostSettings> Smarthosts, int Port = 25)
{
    public static DeliveryRouting Default { get; } = new(new Dictionary<string, DeliveryRoute>(), new Dictionary<string, SmarthostSettings>());

    public DeliveryRoute RouteFor(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var name = domain.TrimEnd('.').ToLowerInvariant();
        if (Find(name) is { } exact)
        {
            return exact;
        }

        for (var dot = name.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = name.IndexOf('.', dot + 1))
        {
            if (Find(name[dot..]) is { } parent)
            {
                return parent;
            }
        }

        return Find("*") ?? DeliveryRoute.Mx;
    }

    /// <summary>The settings for a smarthost (by its host name as written in the route), or none.</summary>
    public SmarthostSettings SmarthostFor(string host) =>
        Smarthosts.FirstOrDefault(kv => kv.Key.TrimEnd('.').Equals(host, StringComparison.OrdinalIgnoreCase)).Value
        ?? new SmarthostSettings(null, TlsPolicy.Opportunistic);

    private DeliveryRoute? Find(string key) =>
        Routes.FirstOrDefault(kv => kv.Key.TrimEnd('.').Equals(key, StringComparison.OrdinalIgnoreCase)).Value;
}
