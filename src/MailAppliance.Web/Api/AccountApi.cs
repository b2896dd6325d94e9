using System.Text.Json;
using MailAppliance.Storage.Spam;
using MailAppliance.Web.Console;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MailAppliance.Web.Api.ApiEndpoints;

namespace MailAppliance.Web.Api;

/// <summary>
/// The user pages and the spam page as JSON: <c>/api/account/spam|forward|vacation</c> for the viewer's own settings
/// (any logged-in user; nothing names another), <c>/api/spam</c> for an admin's thresholds and lists at any level.
/// The same actions and validators as the console forms and the CLI verbs; a refusal is 400 with <c>error</c>.
/// </summary>
internal static class AccountApi
{
    public static void Map(RouteGroupBuilder api, WebServices services)
    {
        api.MapGet("/account/spam", (HttpContext http, CancellationToken _) => UserAsync(http, services, async viewer =>
            Json(await AccountActions.SpamAsync(services, viewer, http.RequestAborted))));
        api.MapPost("/account/spam/threshold", (HttpContext http, ThresholdRequest request) => UserAsync(http, services, async viewer =>
            Outcome(await AccountActions.SetThresholdAsync(services, viewer, request.Kind ?? "", Text(request.Value), http.RequestAborted))));
        api.MapDelete("/account/spam/threshold/{kind}", (HttpContext http, string kind) => UserAsync(http, services, async viewer =>
            Outcome(await AccountActions.ClearThresholdAsync(services, viewer, kind, http.RequestAborted))));
        api.MapPost("/account/spam/list", (HttpContext http, ListRequest request) => UserAsync(http, services, async viewer =>
            Outcome(await AccountActions.SetListEntryAsync(services, viewer, request.List ?? "", request.Entry ?? "", http.RequestAborted))));
        api.MapDelete("/account/spam/list/{entry}", (HttpContext http, string entry) => UserAsync(http, services, async viewer =>
            Outcome(await AccountActions.RemoveListEntryAsync(services, viewer, entry, http.RequestAborted))));

        api.MapGet("/account/forward", (HttpContext http, CancellationToken _) => UserAsync(http, services, async viewer =>
        {
            var (current, destinations) = await AccountActions.ForwardAsync(services, viewer, http.RequestAborted);
            return Json(new
            {
                address = viewer.Address,
                targets = current?.Targets ?? [],
                keep = current?.Keep ?? false,
                paused = current?.PausedAt is not null,
                pausedAt = current?.PausedAt,
                pausedReason = current?.PausedReason,
                spamRejections = current?.SpamRejections ?? 0,
                destinations,
            });
        }));
        api.MapPut("/account/forward", (HttpContext http, ForwardRequest request) => UserAsync(http, services, async viewer =>
            Outcome(await AccountActions.SetForwardAsync(services, viewer, request.Targets ?? [], request.Keep, http.RequestAborted))));
        api.MapPost("/account/forward/resume", (HttpContext http, CancellationToken _) => UserAsync(http, services, async viewer =>
            Outcome(await AccountActions.ResumeForwardAsync(services, viewer, http.RequestAborted))));
        api.MapDelete("/account/forward", (HttpContext http, CancellationToken _) => UserAsync(http, services, async viewer =>
            Outcome(await AccountActions.ClearForwardAsync(services, viewer, http.RequestAborted))));

        api.MapGet("/account/vacation", (HttpContext http, CancellationToken _) => UserAsync(http, services, viewer =>
        {
            var state = AccountActions.Vacation(services, viewer);
            return Task.FromResult(Json(state is null ? new { set = false } : new
            {
                set = true,
                subject = state.Subject,
                body = state.Body,
                from = state.From?.UtcDateTime,
                until = state.Until?.UtcDateTime,
                days = state.Days,
                active = state.Active,
                replying = state.RepliesAt(services.Time.GetUtcNow()),
            }));
        }));
        api.MapPut("/account/vacation", (HttpContext http, VacationRequestBody request) => UserAsync(http, services, async viewer =>
            Outcome(await AccountActions.SetVacationAsync(services, viewer, request.Subject ?? "", request.Body ?? "", request.From ?? "", request.Until ?? "",
                request.Days?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", http.RequestAborted))));
        api.MapDelete("/account/vacation", (HttpContext http, CancellationToken _) => UserAsync(http, services, async viewer =>
            Outcome(await AccountActions.ClearVacationAsync(services, viewer, http.RequestAborted))));

        api.MapGet("/spam", (HttpContext http, CancellationToken _) => AdminOnlyAsync(http, services, async () =>
        {
            var user = http.Request.Query["user"].ToString();
            var domain = http.Request.Query["domain"].ToString();
            var (scope, _, message) = await SpamSettingInput.ResolveScopeAsync(services.Directory, user.Length == 0 ? null : user, domain.Length == 0 ? null : domain, http.RequestAborted);
            if (scope is null || services.Spam is null)
            {
                return Outcome(new AdminActions.Outcome(false, message));
            }

            var rows = await services.Spam.ReadAsync([scope], http.RequestAborted);
            var set = rows.Thresholds.Count > 0 ? rows.Thresholds[0] : null;
            return Json(new
            {
                level = scope.Kind.ToString().ToLowerInvariant(),
                name = scope.Name,
                tag = set?.Tag ?? (scope.Kind == SpamScopeKind.Global ? services.SpamDefaults.Tag : null),
                reject = set?.Reject ?? (scope.Kind == SpamScopeKind.Global ? services.SpamDefaults.Reject : null),
                discardForward = set?.DiscardForward,
                allow = rows.Entries.Where(e => e.Allow).Select(e => e.Entry),
                block = rows.Entries.Where(e => !e.Allow).Select(e => e.Entry),
            });
        }));
        api.MapPost("/spam/threshold", (HttpContext http, ThresholdRequest request) => AdminOnlyAsync(http, services, async () =>
            Outcome(request.User is not null && request.Domain is not null ? new AdminActions.Outcome(false, "give --user or --domain, not both")
                : await SpamPages.ThresholdAsync(services, request.Kind ?? "", Text(request.Value), request.User ?? request.Domain ?? "", http.RequestAborted))));
        api.MapPost("/spam/list", (HttpContext http, ListRequest request) => AdminOnlyAsync(http, services, async () =>
            Outcome(request.User is not null && request.Domain is not null ? new AdminActions.Outcome(false, "give --user or --domain, not both")
                : await SpamPages.ListAsync(services, request.List ?? "", request.Entry ?? "", request.User ?? request.Domain ?? "", http.RequestAborted))));
    }

    /// <summary>A threshold as sent: a JSON number, or a string read exactly as the CLI reads its argument.</summary>
    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Number => value.GetRawText(),
        _ => "",
    };

    internal sealed record ThresholdRequest(string? Kind, JsonElement Value, string? User, string? Domain);

    internal sealed record ListRequest(string? List, string? Entry, string? User, string? Domain);

    internal sealed record ForwardRequest(IReadOnlyList<string>? Targets, bool Keep);

    internal sealed record VacationRequestBody(string? Subject, string? Body, string? From, string? Until, int? Days);

    private static async Task<IResult> UserAsync(HttpContext http, WebServices services, Func<Viewer, Task<IResult>> action)
    {
        if (await Viewer.OfAsync(http, services) is not { } viewer)
        {
            return Results.Unauthorized();
        }

        if (!HttpMethods.IsGet(http.Request.Method) && !await ConsoleAuth.ValidCsrfAsync(http))
        {
            return Results.BadRequest(new { error = "missing or bad CSRF token (X-CSRF-Token)" });
        }

        return await action(viewer);
    }

    // The admin API's own gate (login, admin, CSRF on changes): one rule for every admin path.
    private static Task<IResult> AdminOnlyAsync(HttpContext http, WebServices services, Func<Task<IResult>> action) =>
        ApiEndpoints.AdminAsync(http, services, action);
}
