using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailAppliance.Smtp.Client.MtaSts;

/// <summary>Options of the policy fetch.</summary>
public sealed record MtaStsFetcherOptions
{
    /// <summary>RFC 8461 §3.3 leaves it to the sender; Postfix's resolver (postfix-mta-sts-resolver) uses 4 s per step, mox 1 minute.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Octets of policy body accepted (RFC 8461 §3.2 policies are a few hundred octets).</summary>
    public int MaxBodyLength { get; init; } = 64 * 1024;

    /// <summary>443; tests point it at their loopback server.</summary>
    public int Port { get; init; } = 443;

    /// <summary>Roots trusted for the policy host's certificate (RFC 8461 §3.3: a valid PKIX chain); null: the system's.</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }
}

/// <summary>The result of a fetch: a policy, or why there is none.</summary>
public sealed record MtaStsFetchResult(MtaStsPolicy? Policy, string? Error)
{
    public bool Succeeded => Policy is not null;
}

/// <summary>
/// Fetches a domain's policy over HTTPS from <c>https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c> (RFC 8461 §3.3):
/// a valid certificate for the policy host, status 200 only, no redirects, media type text/plain, a bounded body.
/// The policy host's addresses come from an injected resolver (the appliance's DNS; in tests, loopback).
/// </summary>
public sealed class MtaStsFetcher : IDisposable
{
    private readonly MtaStsFetcherOptions _options;
    private readonly HttpClient _http;

    /// <param name="resolve">The addresses of a host name (A and AAAA), in the order to try them.</param>
    public MtaStsFetcher(MtaStsFetcherOptions options, Func<string, CancellationToken, Task<IReadOnlyList<IPAddress>>> resolve)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resolve);
        _options = options;
        var ssl = new SslClientAuthenticationOptions { EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13 };
        if (options.TrustedRoots is { } roots)
        {
            ssl.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            ssl.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }

        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed"
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            SslOptions = ssl,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var addresses = await resolve(context.DnsEndPoint.Host, cancellationToken);
                SocketException? last = null;
                foreach (var address in addresses)
                {
                    var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        await socket.ConnectAsync(new IPEndPoint(address, _options.Port), cancellationToken);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch (SocketException e)
                    {
                        socket.Dispose();
                        last = e;
                    }
                }

                throw new HttpRequestException($"no address of {context.DnsEndPoint.Host} accepted a connection", last);
            },
        };
        _http = new HttpClient(handler) { Timeout = options.Timeout, MaxResponseContentBufferSize = options.MaxBodyLength };
    }

    /// <summary>A fetcher that finds policy hosts through the appliance's resolver (A, then AAAA).</summary>
    public static MtaStsFetcher ForResolver(MailAppliance.Pipeline.Dns.IDnsResolver dns, MtaStsFetcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dns);
        return new MtaStsFetcher(options ?? new MtaStsFetcherOptions(), async (host, cancellationToken) =>
        {
            var a = await dns.LookupAAsync(host, cancellationToken);
            var aaaa = await dns.LookupAaaaAsync(host, cancellationToken);
            return [.. a.Records, .. aaaa.Records];
        });
    }

    /// <summary>Fetches and parses the policy of <paramref name="domain"/> (an A-label domain).</summary>
    public async Task<MtaStsFetchResult> FetchAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var host = "mta-sts." + domain.TrimEnd('.').ToLowerInvariant();
        var uri = new Uri($"https://{host}/.well-known/mta-sts.txt");
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return new MtaStsFetchResult(null, $"{uri} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentType?.MediaType is not "text/plain")
            {
                return new MtaStsFetchResult(null, $"{uri} is {response.Content.Headers.ContentType?.MediaType ?? "of no media type"}, not text/plain");
            }

            if (response.Content.Headers.ContentLength > _options.MaxBodyLength)
            {
                return new MtaStsFetchResult(null, $"{uri} is longer than {_options.MaxBodyLength} octets");
            }

            var body = await ReadBoundedAsync(response.Content, cancellationToken);
            if (body is null)
            {
                return new MtaStsFetchResult(null, $"{uri} is longer than {_options.MaxBodyLength} octets");
            }

            return MtaStsPolicy.TryParse(body, out var policy, out var error)
                ? new MtaStsFetchResult(policy, null)
                : new MtaStsFetchResult(null, $"{uri}: {error}");
        }
        catch (HttpRequestException e)
        {
            return new MtaStsFetchResult(null, $"{uri}: {e.InnerException?.Message ?? e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new MtaStsFetchResult(null, $"{uri}: timed out after {_options.Timeout.TotalSeconds:0} s");
        }
    }

    private async Task<string?> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[_options.MaxBodyLength + 1];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
        {
            filled += read;
        }

        return filled > _options.MaxBodyLength ? null : Encoding.UTF8.GetString(buffer, 0, filled);
    }

    public void Dispose() => _http.Dispose();
}
