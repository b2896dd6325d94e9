using System.Globalization;
using System.Text;
using MailAppliance.Storage.Reports;
using MailAppliance.Storage.Spam;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MailAppliance.Web.Console.Html;

namespace MailAppliance.Web.Console;

/// <summary>
/// A user's own pages under <c>/account/</c>: what scoring decided about their mail (<c>junk</c>), their spam
/// thresholds and allow/block lists (<c>spam</c>), their forward (<c>forward</c>) and auto-reply (<c>vacation</c>).
/// Every page and change is about the logged-in address alone — no form names a user, so nobody reaches another's
/// settings — and each change goes through the component its CLI verb uses, with the same checks.
/// </summary>
internal static class AccountPages
{
    private static readonly TimeSpan JunkSpan = TimeSpan.FromDays(7);

    public static void Map(IEndpointRouteBuilder app, WebServices services)
    {
        var account = app.MapGroup("/account").RequireAuthorization();
        account.MapGet("/junk", (HttpContext http, CancellationToken _) => AsUserAsync(http, services, "Junk decisions", (viewer, csrf) => JunkAsync(http, services, viewer, csrf)));
        account.MapGet("/spam", (HttpContext http, CancellationToken _) => AsUserAsync(http, services, "My spam settings", (viewer, csrf) => SpamAsync(http, services, viewer, csrf)));
        account.MapPost("/spam/threshold", (HttpContext http, CancellationToken _) => ChangeAsync(http, services, "/account/spam", (viewer, form) =>
            AccountActions.SetThresholdAsync(services, viewer, form["kind"].ToString(), form["value"].ToString(), http.RequestAborted)));
        account.MapPost("/spam/threshold/clear", (HttpContext http, CancellationToken _) => ChangeAsync(http, services, "/account/spam", (viewer, form) =>
            AccountActions.ClearThresholdAsync(services, viewer, form["kind"].ToString(), http.RequestAborted)));
        account.MapPost("/spam/list", (HttpContext http, CancellationToken _) => ChangeAsync(http, services, "/account/spam", (viewer, form) =>
            AccountActions.SetListEntryAsync(services, viewer, form["list"].ToString(), form["entry"].ToString(), http.RequestAborted)));
        account.MapPost("/spam/list/remove", (HttpContext http, CancellationToken _) => ChangeAsync(http, services, "/account/spam", (viewer, form) =>
            AccountActions.RemoveListEntryAsync(services, viewer, form["entry"].ToString(), http.RequestAborted)));
        AccountMailPages.Map(account, services);
    }

    /// <summary>A page of the viewer's own: any logged-in user; the outcome of their last change above the content.</summary>
    internal static async Task<IResult> AsUserAsync(HttpContext http, WebServices services, string title, Func<Viewer, string, Task<string>> content)
    {
        var csrf = ConsoleAuth.CsrfToken(http);
        if (await Viewer.OfAsync(http, services) is not { } viewer)
        {
            return Results.Redirect("/login");
        }

        return Page(title, viewer, csrf, Outcome(http) + await content(viewer, csrf));
    }

    /// <summary>A change to the viewer's own settings: logged in, with the form's CSRF token; post/redirect/get.</summary>
    internal static async Task<IResult> ChangeAsync(HttpContext http, WebServices services, string back, Func<Viewer, IFormCollection, Task<AdminActions.Outcome>> change)
    {
        if (await Viewer.OfAsync(http, services) is not { } viewer)
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (!await ConsoleAuth.ValidCsrfAsync(http))
        {
            return Results.BadRequest();
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var outcome = await change(viewer, form);
        return Results.Redirect($"{back}?{(outcome.Ok ? "done" : "failed")}={Uri.EscapeDataString(outcome.Message)}");
    }

    internal static string Number(double? value) => value is { } v ? v.ToString("0.0##", CultureInfo.InvariantCulture) : "-";

    private static async Task<string> SpamAsync(HttpContext http, WebServices services, Viewer viewer, string csrf)
    {
        var spam = await AccountActions.SpamAsync(services, viewer, http.RequestAborted);
        var body = new StringBuilder("<h2>Thresholds</h2><p class=\"note\">Mail scoring at or over <em>tag</em> goes to Junk, at or over <em>reject</em> is refused, and a forward of yours is not sent on at or over <em>discard-forward</em>.</p>")
            .Append("<table id=\"thresholds\"><thead><tr><th>Threshold</th><th>Yours</th><th>Applies</th><th>Set by</th><th></th></tr></thead><tbody>");
        foreach (var t in spam.Thresholds)
        {
            body.Append("<tr data-threshold=\"").Append(t.Name).Append("\"><td>").Append(t.Name).Append("</td><td class=\"yours\">").Append(Number(t.Own))
                .Append("</td><td class=\"applies\">").Append(t.Applies is null ? "per destination" : Number(t.Applies)).Append("</td><td class=\"from\">").Append(H(t.SetBy)).Append("</td><td>");
            if (t.Own is not null)
            {
                body.Append("<form class=\"inline\" method=\"post\" action=\"/account/spam/threshold/clear\">").Append(CsrfField(csrf))
                    .Append("<input type=\"hidden\" name=\"kind\" value=\"").Append(t.Name).Append("\"><button type=\"submit\" id=\"clear-").Append(t.Name).Append("\">use the default</button></form>");
            }

            body.Append("</td></tr>");
        }

        body.Append("</tbody></table>")
            .Append("<form method=\"post\" action=\"/account/spam/threshold\" id=\"set-threshold\">").Append(CsrfField(csrf))
            .Append("<select name=\"kind\" id=\"threshold-kind\"><option>tag</option><option>reject</option><option>discard-forward</option></select> ")
            .Append("<input name=\"value\" id=\"threshold-value\" required size=\"6\" placeholder=\"5.0\"> <button type=\"submit\">Set mine</button></form>")
            .Append("<h2>Allow and block lists</h2><p class=\"note\">An address or a domain (with its subdomains): allowed mail scores −100 and blocked +100 when its sender is verified (SPF or aligned DKIM); your entries win over your domain's and the global ones.</p>")
            .Append("<table id=\"lists\"><thead><tr><th>Entry</th><th>List</th><th>Set by</th><th></th></tr></thead><tbody>");
        foreach (var entry in spam.Entries)
        {
            body.Append("<tr class=\"").Append(entry.Own ? "own" : "inherited").Append("\" data-entry=\"").Append(H(entry.Entry)).Append("\"><td>").Append(H(entry.Entry)).Append("</td><td class=\"list\">")
                .Append(entry.List).Append("</td><td>").Append(H(entry.SetBy)).Append("</td><td>");
            if (entry.Own)
            {
                body.Append("<form class=\"inline\" method=\"post\" action=\"/account/spam/list/remove\">").Append(CsrfField(csrf))
                    .Append("<input type=\"hidden\" name=\"entry\" value=\"").Append(H(entry.Entry)).Append("\"><button type=\"submit\">remove</button></form>");
            }

            body.Append("</td></tr>");
        }

        return body.Append("</tbody></table>")
            .Append("<form method=\"post\" action=\"/account/spam/list\" id=\"add-entry\">").Append(CsrfField(csrf))
            .Append("<select name=\"list\" id=\"list-kind\"><option>allow</option><option>block</option></select> ")
            .Append("<input name=\"entry\" id=\"list-entry\" required placeholder=\"address or domain\"> <button type=\"submit\">Add</button></form>").ToString();
    }

    /// <summary>
    /// What scoring decided about mail to the viewer in the last days: delivered into Junk, refused as spam or virus,
    /// a forward not sent on — each with its score, the threshold and the rules that fired.
    /// </summary>
    private static async Task<string> JunkAsync(HttpContext http, WebServices services, Viewer viewer, string csrf)
    {
        var now = services.Time.GetUtcNow();
        var since = now - JunkSpan;
        if (http.Request.Query["since"].ToString() is { Length: > 0 } text && !ReportSince.TryParse(text, now, out since))
        {
            return $"<p class=\"error\" id=\"failed\">bad since '{H(text)}' (90s, 10m, 1h, 7d or an RFC 3339 time)</p>";
        }

        var filter = new ReportFilter { Viewer = viewer.Address, Since = since, Kinds = [ReportKind.Delivered, ReportKind.Rejected, ReportKind.Discarded] };
        var events = (await services.Reports.QueryAsync(filter, 500, newestFirst: true, http.RequestAborted))
            .Where(e => string.Equals(e.Event.Recipient, viewer.Address, StringComparison.OrdinalIgnoreCase)
                && (e.Event.Verdict is ReportVerdict.Spam or ReportVerdict.Virus || e.Event.Folder == "Junk"))
            .ToList();
        var body = new StringBuilder("<p class=\"note\">Mail to you that scoring judged spam since ")
            .Append(H(ReportJson.FormatTime(since))).Append(", newest first. Moving a message out of Junk in your mail program teaches the filter.</p>")
            .Append("<table id=\"junk\"><thead><tr><th>Time</th><th>Decision</th><th>Sender</th><th>Score</th><th>Threshold</th><th>Rules</th><th>Queue id</th><th></th></tr></thead><tbody>");
        foreach (var entry in events)
        {
            var e = entry.Event;
            var decision = e.Kind switch
            {
                ReportKind.Delivered => $"into {e.Folder ?? "Junk"}",
                ReportKind.Rejected => e.Verdict == ReportVerdict.Virus ? "refused as a virus" : "refused as spam",
                _ => $"forward to {e.Target} not sent",
            };
            var rules = e.Symbols is { Count: > 0 } symbols
                ? string.Join(", ", symbols.Where(s => s.Score != 0).OrderByDescending(s => Math.Abs(s.Score)).Select(s => FormattableString.Invariant($"{s.Name} {s.Score:0.0#}")))
                : "";
            var queue = e.QueueId is null ? "-" : $"<a href=\"/trail/{H(Uri.EscapeDataString(e.QueueId))}\">{H(e.QueueId)}</a>";
            body.Append("<tr class=\"decision kind-").Append(ReportStore.Name(e.Kind)).Append("\" data-id=\"").Append(entry.Id).Append("\"><td>").Append(H(ReportJson.FormatTime(e.Time)))
                .Append("</td><td class=\"decision\">").Append(H(decision)).Append("</td><td>").Append(H(e.Sender is null ? "-" : e.Sender.Length == 0 ? "<>" : e.Sender))
                .Append("</td><td class=\"score\">").Append(Number(e.Score)).Append("</td><td>").Append(Number(e.Threshold)).Append("</td><td class=\"rules\">").Append(H(rules))
                .Append("</td><td>").Append(queue).Append("</td><td>");
            if (e.Sender is { Length: > 0 } sender && e.Kind != ReportKind.Discarded)
            {
                // Trusting a sender is the user's allow list (−100 when the sender is verified), as `spam allow --user`.
                body.Append("<form class=\"inline allow-sender\" method=\"post\" action=\"/account/spam/list\">").Append(CsrfField(csrf))
                    .Append("<input type=\"hidden\" name=\"list\" value=\"allow\"><input type=\"hidden\" name=\"entry\" value=\"").Append(H(sender))
                    .Append("\"><button type=\"submit\">allow this sender</button></form>");
            }

            body.Append("</td></tr>");
        }

        return body.Append("</tbody></table>").Append(events.Count == 0 ? "<p class=\"note\" id=\"empty\">Nothing was judged spam.</p>" : "").ToString();
    }
}
