using System.Net;
using MailAppliance.Web.Api;
using MailAppliance.Web.Autoconfig;
using MailAppliance.Web.Console;
using MailAppliance.Web.Health;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Web;

/// <summary>
/// The HTTP side on <c>Http:Listen</c> (Kestrel from the ASP.NET Core shared framework): metrics and health, client
/// autoconfiguration, the console and its JSON API. A hosted service of the appliance; off when no address is set.
/// </summary>
public sealed class WebServer : IHostedService, IAsyncDisposable
{
    private readonly WebOptions _options;
    private readonly WebServices _services;
    private readonly ILoggerFactory _loggers;
    private WebApplication? _app;

    public WebServer(WebOptions options, WebServices services, ILoggerFactory loggers)
    {
        _options = options;
        _services = services;
        _loggers = loggers;
    }

    /// <summary>The addresses bound (with the ports chosen for port 0), once started.</summary>
    public IReadOnlyList<string> Addresses =>
        _app?.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Listen.Count == 0)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            foreach (var endPoint in _options.Listen)
            {
                kestrel.Listen(endPoint);
            }
        });
        builder.WebHost.UseUrls(); // the addresses above, not ASPNETCORE_URLS
        if (_options.KeyDirectory.Length > 0)
        {
            Directory.CreateDirectory(_options.KeyDirectory);
            builder.Services.AddDataProtection().SetApplicationName("mailappliance").PersistKeysToFileSystem(new DirectoryInfo(_options.KeyDirectory));
        }

        builder.Services.AddAntiforgery(o =>
        {
            o.FormFieldName = ConsoleAuth.CsrfField;
            o.HeaderName = "X-CSRF-Token";
            o.Cookie.Name = "mailappliance-csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = "mailappliance";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.Events.OnRedirectToLogin = context => ConsoleAuth.ChallengeAsync(context.HttpContext, context.RedirectUri);
            o.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });
        builder.Services.AddAuthorization();
        builder.Services.AddRouting();
        builder.Services.AddSingleton(_services);
        builder.Services.AddSingleton(_options);

        var app = builder.Build();
        app.UseAuthentication();
        app.Use(ConsoleAuth.BasicForApiAsync);
        app.UseAuthorization();
        HealthEndpoints.Map(app, _services);
        AutoconfigEndpoints.Map(app, _options, _services);
        ConsoleAuth.Map(app, _options, _services);
        ReportPages.Map(app, _services);
        AdminPages.Map(app, _services);
        AccountPages.Map(app, _services);
        ApiEndpoints.Map(app, _services);
        _app = app;
        await app.StartAsync(cancellationToken);
        _loggers.CreateLogger<WebServer>().LogInformation("HTTP listening on {Addresses}", string.Join(", ", Addresses));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    internal static bool IsLoopback(HttpContext http) => http.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);

    internal static IAntiforgery Antiforgery(HttpContext http) => http.RequestServices.GetRequiredService<IAntiforgery>();
}
