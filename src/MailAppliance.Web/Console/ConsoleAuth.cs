using System.Net.Http.Headers;
using System.Text;
using MailAppliance.Core.Sasl;
using MailAppliance.Storage.Accounts;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static MailAppliance.Web.Console.Html;

namespace MailAppliance.Web.Console;

/// <summary>
/// Logging in with mail credentials: the same <see cref="Authenticator"/> and <see cref="MailAppliance.Core.Security.AuthThrottle"/>
/// as SMTP AUTH, IMAP and POP3 (a failed console login slows the next try from that client and for that account the
/// same way). Forms carry a CSRF token; over plain HTTP a login is refused unless it comes from loopback. Scripts may
/// use HTTP Basic on <c>/api/</c> instead of the cookie.
/// </summary>
internal static class ConsoleAuth
{
    public const string CsrfField = "csrf";

    public static void Map(IEndpointRouteBuilder app, WebOptions options, WebServices services)
    {
        // A block body: an expression-bodied async lambda taking only HttpContext binds as a RequestDelegate, and the
        // redirect it returns would be dropped.
        app.MapGet("/", async (HttpContext http) =>
        {
            return Results.Redirect(await Viewer.OfAsync(http, services) is null ? "/login" : "/reports");
        });

        app.MapGet("/login", (HttpContext http) => LoginPage(http, null, StatusCodes.Status200OK));

        app.MapPost("/login", async (HttpContext http) =>
        {
            if (!await ValidCsrfAsync(http))
            {
                return LoginPage(http, "The form expired; please try again.", StatusCodes.Status400BadRequest);
            }

            if (!http.Request.IsHttps && !WebServer.IsLoopback(http) && !options.AllowPlaintextLogin)
            {
                return LoginPage(http, "Log in over HTTPS: passwords are not accepted over plain HTTP from another host.", StatusCodes.Status403Forbidden);
            }

            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            var username = form["username"].ToString().Trim();
            var password = form["password"].ToString();
            var result = await LoginAsync(http, services, username, password);
            if (result.Status == AuthenticationStatus.Unavailable)
            {
                return LoginPage(http, "Temporarily unavailable; please try again later.", StatusCodes.Status503ServiceUnavailable);
            }

            if (result.Status != AuthenticationStatus.Succeeded)
            {
                return LoginPage(http, "Wrong address or password.", StatusCodes.Status401Unauthorized);
            }

            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, Viewer.Principal(result.Address!.ToString(), CookieAuthenticationDefaults.AuthenticationScheme));
            var next = form["next"].ToString();
            return Results.Redirect(next.StartsWith('/') && !next.StartsWith("//", StringComparison.Ordinal) ? next : "/reports");
        });

        app.MapPost("/logout", async (HttpContext http) =>
        {
            if (!await ValidCsrfAsync(http))
            {
                return Results.BadRequest();
            }

            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/login");
        });
    }

    private static Task<AuthenticationResult> LoginAsync(HttpContext http, WebServices services, string username, string password) =>
        services.Authenticator.LoginAsync(http.Connection.RemoteIpAddress ?? System.Net.IPAddress.Loopback, new SaslCredentials(null, username, password),
            services.Throttle, services.Time, http.RequestAborted);

    private static IResult LoginPage(HttpContext http, string? error, int status)
    {
        var csrf = CsrfToken(http);
        var next = http.Request.Query["next"].ToString();
        var body = new StringBuilder();
        if (error is not null)
        {
            body.Append("<p class=\"error\" id=\"error\">").Append(H(error)).Append("</p>");
        }

        body.Append("<form method=\"post\" action=\"/login\" id=\"login\">").Append(CsrfField(csrf))
            .Append("<input type=\"hidden\" name=\"next\" value=\"").Append(H(next)).Append("\">")
            .Append("<p><label>Address <input name=\"username\" id=\"username\" type=\"email\" autocomplete=\"username\" required></label></p>")
            .Append("<p><label>Password <input name=\"password\" id=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p>")
            .Append("<p><button type=\"submit\" id=\"submit\">Log in</button></p></form>");
        return Page("Log in", null, csrf, body.ToString(), status);
    }

    public static string CsrfToken(HttpContext http) => WebServer.Antiforgery(http).GetAndStoreTokens(http).RequestToken ?? "";

    public static async Task<bool> ValidCsrfAsync(HttpContext http)
    {
        // A request authenticated with HTTP Basic carries no cookie a third-party page could ride on.
        if (http.Items.ContainsKey(BasicMarker))
        {
            return true;
        }

        try
        {
            await WebServer.Antiforgery(http).ValidateRequestAsync(http);
            return true;
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }

    /// <summary>Not logged in: the API answers 401 (with a Basic challenge), a page sends the browser to the login form.</summary>
    public static Task ChallengeAsync(HttpContext http, string redirectUri)
    {
        if (http.Request.Path.StartsWithSegments("/api"))
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"mailappliance\", charset=\"UTF-8\"";
            return Task.CompletedTask;
        }

        http.Response.Redirect("/login?next=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString));
        return Task.CompletedTask;
    }

    private static readonly object BasicMarker = new();

    /// <summary>HTTP Basic on <c>/api/</c> (RFC 7617), checked like any other login (same throttle).</summary>
    public static async Task BasicForApiAsync(HttpContext http, Func<Task> next)
    {
        if (http.Request.Path.StartsWithSegments("/api")
            && AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header)
            && string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) && header.Parameter is { } parameter)
        {
            var services = http.RequestServices.GetRequiredService<WebServices>();
            var options = http.RequestServices.GetRequiredService<WebOptions>();
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
            }
            catch (FormatException)
            {
                decoded = "";
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || (!http.Request.IsHttps && !WebServer.IsLoopback(http) && !options.AllowPlaintextLogin))
            {
                http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            var result = await LoginAsync(http, services, decoded[..colon], decoded[(colon + 1)..]);
            if (result.Status != AuthenticationStatus.Succeeded)
            {
                http.Response.StatusCode = result.Status == AuthenticationStatus.Unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status401Unauthorized;
                return;
            }

            http.User = Viewer.Principal(result.Address!.ToString(), "Basic");
            http.Items[BasicMarker] = true;
        }

        await next();
    }
}
