using System.Globalization;
using System.Text;
using MailAppliance.Pipeline.Sieve;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MailAppliance.Web.Console.Html;

namespace MailAppliance.Web.Console;

/// <summary>
/// <c>/account/forward</c>: the viewer's forward with each destination's policy (the score at which a forward is
/// not sent on, and whether the forward is paused after refusals as spam), set or cleared as <c>user forward</c>
/// does. <c>/account/vacation</c>: their auto-reply with its period, set or cleared as <c>vacation set|clear</c> does.
/// </summary>
internal static class AccountMailPages
{
    public static void Map(RouteGroupBuilder account, WebServices services)
    {
        account.MapGet("/forward", (HttpContext http, CancellationToken _) => AccountPages.AsUserAsync(http, services, "Forward", (viewer, csrf) => ForwardAsync(http, services, viewer, csrf)));
        account.MapPost("/forward", (HttpContext http, CancellationToken _) => AccountPages.ChangeAsync(http, services, "/account/forward", (viewer, form) =>
            AccountActions.SetForwardAsync(services, viewer, [form["targets"].ToString()], form["keep"] == "on", http.RequestAborted)));
        account.MapPost("/forward/resume", (HttpContext http, CancellationToken _) => AccountPages.ChangeAsync(http, services, "/account/forward", (viewer, _) =>
            AccountActions.ResumeForwardAsync(services, viewer, http.RequestAborted)));
        account.MapPost("/forward/clear", (HttpContext http, CancellationToken _) => AccountPages.ChangeAsync(http, services, "/account/forward", (viewer, _) =>
            AccountActions.ClearForwardAsync(services, viewer, http.RequestAborted)));

        account.MapGet("/vacation", (HttpContext http, CancellationToken _) => AccountPages.AsUserAsync(http, services, "Vacation", (viewer, csrf) => Task.FromResult(Vacation(services, viewer, csrf))));
        account.MapPost("/vacation", (HttpContext http, CancellationToken _) => AccountPages.ChangeAsync(http, services, "/account/vacation", (viewer, form) =>
            AccountActions.SetVacationAsync(services, viewer, form["subject"].ToString(), form["body"].ToString(), form["from"].ToString(), form["until"].ToString(),
                form["days"].ToString(), http.RequestAborted)));
        account.MapPost("/vacation/clear", (HttpContext http, CancellationToken _) => AccountPages.ChangeAsync(http, services, "/account/vacation", (viewer, _) =>
            AccountActions.ClearVacationAsync(services, viewer, http.RequestAborted)));
    }

    private static async Task<string> ForwardAsync(HttpContext http, WebServices services, Viewer viewer, string csrf)
    {
        var (current, destinations) = await AccountActions.ForwardAsync(services, viewer, http.RequestAborted);
        var body = new StringBuilder();
        if (current is null)
        {
            body.Append("<p class=\"note\" id=\"no-forward\">You have no forward: your mail stays in your mailbox.</p>");
        }
        else
        {
            body.Append("<p id=\"forward-status\" class=\"").Append(current.PausedAt is null ? "note" : "error").Append("\">");
            if (current.PausedAt is { } paused)
            {
                body.Append("Paused since ").Append(H(paused.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))).Append(": ").Append(H(current.PausedReason))
                    .Append(". Your mail stays in your mailbox until you resume it.</p>").Append(Button("/account/forward/resume", "Resume", csrf, "resume-forward"));
            }
            else
            {
                body.Append("Forwarding").Append(current.Keep ? ", keeping a copy here" : " (no copy kept here)").Append('.')
                    .Append(current.SpamRejections > 0 ? $" The destination refused {current.SpamRejections} in a row as spam." : "").Append("</p>");
            }

            body.Append("<table id=\"forward\"><thead><tr><th>Destination</th><th>Not sent on at score</th><th>Because of</th></tr></thead><tbody>");
            foreach (var d in destinations)
            {
                body.Append("<tr data-target=\"").Append(H(d.Target)).Append("\"><td>").Append(H(d.Target)).Append("</td><td class=\"threshold\">").Append(AccountPages.Number(d.Threshold))
                    .Append("</td><td class=\"why\">").Append(H(d.Because)).Append("</td></tr>");
            }

            body.Append("</tbody></table>").Append(Button("/account/forward/clear", "Stop forwarding", csrf, "clear-forward"));
        }

        return body.Append("<h2>").Append(current is null ? "Forward my mail" : "Change").Append("</h2>")
            .Append("<form method=\"post\" action=\"/account/forward\" id=\"set-forward\">").Append(CsrfField(csrf))
            .Append("<p><label>To <input name=\"targets\" id=\"targets\" size=\"50\" required placeholder=\"one or more addresses, separated by commas\" value=\"")
            .Append(H(current is null ? "" : string.Join(", ", current.Targets))).Append("\"></label></p>")
            .Append("<p><label><input type=\"checkbox\" name=\"keep\" value=\"on\" id=\"keep\"").Append(current?.Keep == true ? " checked" : "").Append("> keep a copy in my mailbox</label></p>")
            .Append("<p class=\"note\">Mail that scores as spam is not forwarded (destinations block servers that forward spam to them); it stays here in Junk when you keep a copy.</p>")
            .Append("<p><button type=\"submit\">Save</button></p></form>").ToString();
    }

    private static string Vacation(WebServices services, Viewer viewer, string csrf)
    {
        if (services.Vacation is null)
        {
            return "<p class=\"error\">Auto-replies are not available.</p>";
        }

        var state = AccountActions.Vacation(services, viewer);
        var now = services.Time.GetUtcNow();
        string Day(DateTimeOffset t) => AccountActions.Day(services, t);
        string LastDay(DateTimeOffset t) => AccountActions.LastDay(services, t);
        var body = new StringBuilder("<p id=\"vacation-status\" class=\"note\">");
        if (state is null)
        {
            body.Append("No auto-reply.");
        }
        else
        {
            body.Append(!state.Active ? "Set but not active (another sieve script is active)."
                : state.RepliesAt(now) ? "Replying now" + (state.Until is { } u ? $", through {H(LastDay(u))}." : ", until you clear it.")
                : state.Until is { } end && now >= end ? $"Ended {H(LastDay(end))}: no reply is sent."
                : $"Starts {H(Day(state.From!.Value))}" + (state.Until is { } e ? $", through {H(LastDay(e))}." : "."));
        }

        body.Append("</p><form method=\"post\" action=\"/account/vacation\" id=\"set-vacation\">").Append(CsrfField(csrf))
            .Append("<p><label>Subject <input name=\"subject\" id=\"vacation-subject\" size=\"50\" required value=\"").Append(H(state?.Subject ?? "Out of office")).Append("\"></label></p>")
            .Append("<p><label>Reply<br><textarea name=\"body\" id=\"vacation-body\" rows=\"6\" cols=\"60\" required>").Append(H(state?.Body ?? "")).Append("</textarea></label></p>")
            .Append("<p><label>From <input type=\"date\" name=\"from\" id=\"vacation-from\" value=\"").Append(state?.From is { } f ? Day(f) : "").Append("\"></label> ")
            .Append("<label>through <input type=\"date\" name=\"until\" id=\"vacation-until\" value=\"").Append(state?.Until is { } t ? LastDay(t) : "").Append("\"></label> ")
            .Append("<label>one reply per sender every <input type=\"number\" min=\"1\" name=\"days\" id=\"vacation-days\" style=\"width:4em\" value=\"")
            .Append((state?.Days ?? VacationSettings.DefaultDays).ToString(CultureInfo.InvariantCulture)).Append("\"> days</label></p>")
            .Append("<p class=\"note\">Dates are whole days in the server's time zone; leave them empty to start now or to reply until you clear it.</p>")
            .Append("<p><button type=\"submit\">Save</button></p></form>");
        if (state is not null)
        {
            body.Append(Button("/account/vacation/clear", "Clear the auto-reply", csrf, "clear-vacation"));
        }

        return body.ToString();
    }
}
