using System.Globalization;
using System.Text.Json;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Reports;
using MailAppliance.Web.Console;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailAppliance.Web.Api;

/// <summary>
/// <c>/api/...</c>: what the console shows, as JSON with the CLI's shapes (camelCase keys, RFC 3339 UTC times): reports
/// (and a live stream of them as server-sent events), a message's trail, the queue (with retry/hold/release/delete),
/// domains, users and aliases. The cookie of a console login or HTTP Basic; admin-only parts answer 403 to others.
/// </summary>
internal static class ApiEndpoints
{
    private const int ListLimit = 10_000;

    public static void Map(IEndpointRouteBuilder app, WebServices services)
    {
        var api = app.MapGroup("/api").RequireAuthorization();

        api.MapGet("/reports", async (HttpContext http) =>
        {
            var viewer = await ViewerAsync(http, services);
            if (viewer is null)
            {
                return Results.Unauthorized();
            }

            if (!ReportQuery.TryParse(http, viewer, services.Time.GetUtcNow(), TimeSpan.FromHours(1), out var filter, out var error))
            {
                return Results.BadRequest(new { error });
            }

            var events = await services.Reports.QueryAsync(filter, ListLimit, newestFirst: false, http.RequestAborted);
            return Results.Text(ReportJson.Serialize(events.Select(e => e.Event)), "application/json; charset=utf-8");
        });

        // Server-sent events (HTML living standard §9.2): one "id:" and "data:" per event, a comment every 15 s so
        // that proxies keep the stream open. ?after=ID continues after the page's last event.
        api.MapGet("/reports/stream", async (HttpContext http) =>
        {
            var viewer = await ViewerAsync(http, services);
            if (viewer is null)
            {
                http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            if (!ReportQuery.TryParse(http, viewer, services.Time.GetUtcNow(), TimeSpan.Zero, out var filter, out _))
            {
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            var after = long.TryParse(http.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } last ? last : http.Request.Query["after"].ToString(),
                NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : await services.Reports.LastIdAsync(http.RequestAborted);
            http.Response.ContentType = "text/event-stream; charset=utf-8";
            http.Response.Headers.CacheControl = "no-cache";
            await http.Response.WriteAsync(": follow\n\n", http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            var follower = new ReportFollower(services.Reports, services.Feed, services.Time);
            try
            {
                await foreach (var entry in follower.FollowAsync(filter with { Since = null }, after, http.RequestAborted))
                {
                    var json = JsonSerializer.Serialize(new StreamEvent(entry.Event), ReportJson.Options);
                    await http.Response.WriteAsync($"id: {entry.Id.ToString(CultureInfo.InvariantCulture)}\ndata: {json}\n\n", http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                }
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
            }
        });

        api.MapGet("/trail/{queueId}", async (HttpContext http, string queueId) =>
        {
            var viewer = await ViewerAsync(http, services);
            if (viewer is null)
            {
                return Results.Unauthorized();
            }

            var trail = await Trail.LoadAsync(services, viewer, queueId, http.RequestAborted);
            if (trail is null)
            {
                return Results.NotFound();
            }

            return Json(new
            {
                queueId,
                events = trail.Events.Select(e => e.Event),
                recipients = trail.Message?.Recipients.Select(QueueRow),
                attempts = trail.Message?.Attempts.Select(a => new { time = a.At, recipient = a.Recipient, status = RecipientStatuses.Text(a.Status), reply = a.Reply }),
            });
        });

        api.MapGet("/queue", (HttpContext http, CancellationToken _) => AdminAsync(http, services, async () =>
            Json((await services.Queue.WaitingAsync(http.RequestAborted)).Select(QueueRow))));
        api.MapPost("/queue/{queueId}/{action}", (HttpContext http, string queueId, string action) => AdminAsync(http, services, async () =>
            Outcome(await AdminActions.QueueAsync(services, queueId, action, http.RequestAborted))));

        api.MapGet("/domains", (HttpContext http, CancellationToken _) => AdminAsync(http, services, async () =>
            Json((await services.Directory.ListDomainsAsync(http.RequestAborted)).Select(d => new { name = d.Name, unicodeName = d.UnicodeName, users = d.Users, aliases = d.Aliases, created = d.CreatedAt }))));
        api.MapPost("/domains", (HttpContext http, DomainRequest request) => AdminAsync(http, services, async () =>
            Outcome(await AdminActions.DomainAsync(services, request.Domain ?? "", add: true, http.RequestAborted))));
        api.MapDelete("/domains/{name}", (HttpContext http, string name) => AdminAsync(http, services, async () =>
            Outcome(await AdminActions.DomainAsync(services, name, add: false, http.RequestAborted))));

        api.MapGet("/users", (HttpContext http, CancellationToken _) => AdminAsync(http, services, async () =>
            Json((await services.Directory.ListUsersAsync(null, http.RequestAborted)).Select(u => new
            {
                address = u.Address, quotaBytes = u.QuotaBytes, enabled = u.Enabled, hasPassword = u.HasPassword, admin = u.Admin, created = u.CreatedAt,
            }))));
        api.MapPost("/users", (HttpContext http, UserRequest request) => AdminAsync(http, services, async () =>
            Outcome(await AdminActions.AddUserAsync(services, services.Hasher, request.Address ?? "", request.Password, request.Admin, http.RequestAborted))));
        api.MapPost("/users/{address}/{action}", (HttpContext http, string address, string action) => AdminAsync(http, services, async () =>
            Outcome(await AdminActions.UserAsync(services, address, action, http.RequestAborted))));

        api.MapGet("/aliases", (HttpContext http, CancellationToken _) => AdminAsync(http, services, async () =>
            Json((await services.Directory.ListAliasesAsync(null, http.RequestAborted)).Select(a => new { address = a.Address, targets = a.Targets, created = a.CreatedAt }))));
        api.MapPost("/aliases", (HttpContext http, AliasRequest request) => AdminAsync(http, services, async () =>
            Outcome(await AdminActions.AliasAsync(services, request.Alias ?? "", request.Targets ?? [], add: true, http.RequestAborted))));
        api.MapDelete("/aliases/{alias}", (HttpContext http, string alias) => AdminAsync(http, services, async () =>
            Outcome(await AdminActions.AliasAsync(services, alias, [], add: false, http.RequestAborted))));
        AccountApi.Map(api, services);
    }

    internal sealed record DomainRequest(string? Domain);

    internal sealed record UserRequest(string? Address, string? Password, bool Admin);

    internal sealed record AliasRequest(string? Alias, IReadOnlyList<string>? Targets);

    /// <summary>A streamed event: the event's fields plus the console's one-line summary of it.</summary>
    private sealed record StreamEvent
    {
        public StreamEvent(ReportEvent e)
        {
            Time = e.Time;
            Kind = e.Kind;
            Stage = e.Stage;
            QueueId = e.QueueId;
            Sender = e.Sender;
            Recipient = e.Recipient;
            Detail = ReportText.Detail(e);
        }

        public DateTimeOffset Time { get; }

        public ReportKind Kind { get; }

        public ReportStage? Stage { get; }

        public string? QueueId { get; }

        public string? Sender { get; }

        public string? Recipient { get; }

        public string Detail { get; }
    }

    private static object QueueRow(QueueRecipient r) => new
    {
        queueId = r.QueueId,
        recipient = r.Recipient,
        sender = r.MailFrom,
        status = RecipientStatuses.Text(r.Status),
        attempts = r.Attempts,
        nextAttempt = r.NextAttemptAt,
        lastResult = r.LastResult,
    };

    internal static IResult Json(object value) => Results.Text(JsonSerializer.Serialize(value, ReportJson.Options), "application/json; charset=utf-8");

    internal static IResult Outcome(AdminActions.Outcome outcome) =>
        outcome.Ok ? Json(new { ok = true, message = outcome.Message }) : Results.Text(JsonSerializer.Serialize(new { ok = false, error = outcome.Message }, ReportJson.Options), "application/json; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);

    private static Task<Viewer?> ViewerAsync(HttpContext http, WebServices services) => Viewer.OfAsync(http, services);

    internal static async Task<IResult> AdminAsync(HttpContext http, WebServices services, Func<Task<IResult>> action)
    {
        var viewer = await ViewerAsync(http, services);
        if (viewer is null)
        {
            return Results.Unauthorized();
        }

        if (!viewer.IsAdmin)
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (!HttpMethods.IsGet(http.Request.Method) && !await ConsoleAuth.ValidCsrfAsync(http))
        {
            return Results.BadRequest(new { error = "missing or bad CSRF token (X-CSRF-Token)" });
        }

        return await action();
    }
}
