using System.Xml;
using MailAppliance.Core.Addresses;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailAppliance.Web.Autoconfig;

/// <summary>
/// <c>/.well-known/autoconfig/mail/config-v1.1.xml</c> and <c>/mail/config-v1.1.xml</c> (Thunderbird: the address in
/// <c>?emailaddress=</c>, else the domain from the <c>autoconfig.DOMAIN</c> host name), <c>POST
/// /autodiscover/autodiscover.xml</c> (Outlook; paths match in any case), and
/// <c>/.well-known/mta-sts.txt</c>. Only local domains get a configuration: a stranger's domain is 404.
/// </summary>
internal static class AutoconfigEndpoints
{
    private const int MaxRequestBody = 16 * 1024;

    public static void Map(IEndpointRouteBuilder app, WebOptions options, WebServices services)
    {
        async Task<IResult> Thunderbird(HttpContext http, CancellationToken cancellationToken)
        {
            var domain = await LocalDomainAsync(services, DomainOfRequest(http), http.RequestAborted);
            return domain is null ? Results.NotFound() : Results.Content(ClientConfig.Thunderbird(options, domain), "application/xml; charset=utf-8");
        }

        app.MapGet("/.well-known/autoconfig/mail/config-v1.1.xml", Thunderbird);
        app.MapGet("/mail/config-v1.1.xml", Thunderbird);

        async Task<IResult> Autodiscover(HttpContext http, CancellationToken cancellationToken)
        {
            var address = await ReadAutodiscoverAddressAsync(http);
            if (address is null || !MailAddress.TryParse(address, out var parsed, out _))
            {
                return Results.BadRequest();
            }

            var domain = await LocalDomainAsync(services, parsed.Domain.Ascii, http.RequestAborted);
            return domain is null ? Results.NotFound() : Results.Content(ClientConfig.Autodiscover(options, parsed.ToString()), "application/xml; charset=utf-8");
        }

        app.MapPost("/autodiscover/autodiscover.xml", Autodiscover);
        app.MapGet("/.well-known/mta-sts.txt", () => Results.Text(ClientConfig.MtaStsPolicy(options), "text/plain; charset=utf-8"));
    }

    private static string? DomainOfRequest(HttpContext http)
    {
        var email = http.Request.Query["emailaddress"].ToString();
        if (email.Length > 0)
        {
            return MailAddress.TryParse(email, out var address, out _) ? address.Domain.Ascii : null;
        }

        var host = http.Request.Host.Host;
        return host.StartsWith("autoconfig.", StringComparison.OrdinalIgnoreCase) ? host["autoconfig.".Length..] : host;
    }

    private static async Task<string?> LocalDomainAsync(WebServices services, string? domain, CancellationToken cancellationToken)
    {
        if (domain is null || !DomainName.TryParse(domain, out var parsed, out _))
        {
            return null;
        }

        var domains = await services.Directory.ListDomainsAsync(cancellationToken);
        return domains.Any(d => string.Equals(d.Name, parsed.Ascii, StringComparison.OrdinalIgnoreCase)) ? parsed.Ascii : null;
    }

    /// <summary>The <c>EMailAddress</c> of an autodiscover request (bounded read; no DTDs).</summary>
    private static async Task<string?> ReadAutodiscoverAddressAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxRequestBody)
        {
            return null;
        }

        using var body = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxRequestBody)
            {
                return null;
            }

            body.Write(buffer, 0, read);
        }

        body.Position = 0;
        try
        {
            using var reader = XmlReader.Create(body, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "EMailAddress")
                {
                    return reader.ReadElementContentAsString().Trim();
                }
            }
        }
        catch (XmlException)
        {
        }

        return null;
    }
}
