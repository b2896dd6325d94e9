using System.Globalization;
using System.Text;
using MailAppliance.Pipeline.Sieve;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Spam;
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
    private const string DateFormat = "yyyy-MM-dd";

    public static void Map(RouteGroupBuilder account, WebServices services)
    {
        account.MapGet("/forward", (HttpContext http, CancellationToken _) => AccountPages.AsUserAsync(http, services, "Forward", (viewer, csrf) => ForwardAsync(http, services, viewer, csrf)));
        account.MapPost("/forward", (HttpContext http, CancellationToken _) => AccountPages.ChangeAsync(http, services, "/account/forward", async (viewer, form) =>
        {
            var user = AccountPages.AddressOf(viewer);
            if (!ForwardTargets.TryParse(user, [form["targets"].ToString()], out var targets, out var error, out bool _))
            {
                return new(false, error);
            }

            var keep = form["keep"] == "on";
            await services.Directory.SetForwardAsync(user, targets, keep, http.RequestAborted);
            return new(true, $"{user} forwards to {string.Join(", ", targets)}{(keep ? ", keeping a copy" : "")}");
        }));
        account.MapPost("/forward/resume", (HttpContext http, CancellationToken _) => AccountPages.ChangeAsync(http, services, "/account/forward", async (viewer, _) =>
        {
            var user = AccountPages.AddressOf(viewer);
            if (await services.Directory.GetForwardAsync(user, http.RequestAborted) is not { } current)
            {
                return new(false, "you have no forward");
            }

            // Setting a forward again starts its count of refusals afresh and lifts the pause.
            await services.Directory.SetForwardAsync(user, current.Targets.Select(t => Core.Addresses.MailAddress.Parse(t)).ToList(), current.Keep, http.RequestAborted);
            return new(true, $"forward to {string.Join(", ", current.Targets)} resumed");
        }));
        account.MapPost("/forward/clear", (HttpContext http, CancellationToken _) => AccountPages.ChangeAsync(http, services, "/account/forward", async (viewer, _) =>
            await services.Directory.ClearForwardAsync(AccountPages.AddressOf(viewer), http.RequestAborted)
                ? new(true, $"forward of {viewer.Address} cleared")
                : new(false, "you had no forward")));

        account.MapGet("/vacation", (HttpContext http, CancellationToken _) => AccountPages.AsUserAsync(http, services, "Vacation", (viewer, csrf) => Task.FromResult(Vacation(services, viewer, csrf))));
        account.MapPost("/vacation", (HttpContext http, CancellationToken _) => AccountPages.ChangeAsync(http, services, "/account/vacation", (viewer, form) => SetVacationAsync(http, services, viewer, form)));
        account.MapPost("/vacation/clear", (HttpContext http, CancellationToken _) => AccountPages.ChangeAsync(http, services, "/account/vacation", async (viewer, _) =>
        {
            if (services.Vacation is null || await services.Directory.FindLoginAsync(AccountPages.AddressOf(viewer), http.RequestAborted) is not { } login)
            {
                return new(false, "auto-replies are not available");
            }

            var (restored, error) = await services.Vacation.ClearAsync(login.UserId, AccountPages.AddressOf(viewer), http.RequestAborted);
            return error is not null ? new(false, error) : new(true, $"vacation cleared{(restored is null ? "" : $"; script {restored} active again")}");
        }));
    }

    private static async Task<string> ForwardAsync(HttpContext http, WebServices services, Viewer viewer, string csrf)
    {
        var user = AccountPages.AddressOf(viewer);
        var current = await services.Directory.GetForwardAsync(user, http.RequestAborted);
        var rows = await AccountPages.SpamRowsAsync(services, viewer, http.RequestAborted);
        var (_, own, from) = AccountPages.Threshold(rows, SpamThresholdKind.DiscardForward, null);
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
            foreach (var target in current.Targets)
            {
                var domain = target[(target.LastIndexOf('@') + 1)..];
                var destination = services.Forwarding.ThresholdFor(domain);
                var applies = own is { } mine ? Math.Min(mine, destination) : destination;
                var why = own is { } m && m < destination ? (from == "you" ? "your discard-forward threshold" : $"the discard-forward threshold of {from}") : $"the policy for {domain}";
                body.Append("<tr data-target=\"").Append(H(target)).Append("\"><td>").Append(H(target)).Append("</td><td class=\"threshold\">").Append(AccountPages.Number(applies))
                    .Append("</td><td class=\"why\">").Append(H(why)).Append("</td></tr>");
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

        var state = services.Vacation.Read(AccountPages.AddressOf(viewer));
        var now = services.Time.GetUtcNow();
        var body = new StringBuilder("<p id=\"vacation-status\" class=\"note\">");
        if (state is null)
        {
            body.Append("No auto-reply.");
        }
        else
        {
            body.Append(!state.Active ? "Set but not active (another sieve script is active)."
                : state.RepliesAt(now) ? "Replying now" + (state.Until is { } u ? $", through {H(LastDay(services, u))}." : ", until you clear it.")
                : state.Until is { } end && now >= end ? $"Ended {H(LastDay(services, end))}: no reply is sent."
                : $"Starts {H(Day(services, state.From!.Value))}" + (state.Until is { } e ? $", through {H(LastDay(services, e))}." : "."));
        }

        body.Append("</p><form method=\"post\" action=\"/account/vacation\" id=\"set-vacation\">").Append(CsrfField(csrf))
            .Append("<p><label>Subject <input name=\"subject\" id=\"vacation-subject\" size=\"50\" required value=\"").Append(H(state?.Subject ?? "Out of office")).Append("\"></label></p>")
            .Append("<p><label>Reply<br><textarea name=\"body\" id=\"vacation-body\" rows=\"6\" cols=\"60\" required>").Append(H(state?.Body ?? "")).Append("</textarea></label></p>")
            .Append("<p><label>From <input type=\"date\" name=\"from\" id=\"vacation-from\" value=\"").Append(state?.From is { } f ? Day(services, f) : "").Append("\"></label> ")
            .Append("<label>through <input type=\"date\" name=\"until\" id=\"vacation-until\" value=\"").Append(state?.Until is { } t ? LastDay(services, t) : "").Append("\"></label> ")
            .Append("<label>one reply per sender every <input type=\"number\" min=\"1\" name=\"days\" id=\"vacation-days\" size=\"3\" value=\"")
            .Append((state?.Days ?? VacationSettings.DefaultDays).ToString(CultureInfo.InvariantCulture)).Append("\"> days</label></p>")
            .Append("<p class=\"note\">Dates are whole days in the server's time zone; leave them empty to start now or to reply until you clear it.</p>")
            .Append("<p><button type=\"submit\">Save</button></p></form>");
        if (state is not null)
        {
            body.Append(Button("/account/vacation/clear", "Clear the auto-reply", csrf, "clear-vacation"));
        }

        return body.ToString();
    }

    private static async Task<AdminActions.Outcome> SetVacationAsync(HttpContext http, WebServices services, Viewer viewer, IFormCollection form)
    {
        var address = AccountPages.AddressOf(viewer);
        if (services.Vacation is null || await services.Directory.FindLoginAsync(address, http.RequestAborted) is not { } login)
        {
            return new(false, "auto-replies are not available");
        }

        DateTimeOffset? from = null, until = null;
        foreach (var (field, endOfDay) in new[] { ("from", false), ("until", true) })
        {
            var text = form[field].ToString().Trim();
            if (text.Length == 0)
            {
                continue;
            }

            if (!VacationSettings.TryParseDate(text, endOfDay, services.Zone, out var date, out var dateError))
            {
                return new(false, dateError);
            }

            if (endOfDay)
            {
                until = date;
            }
            else
            {
                from = date;
            }
        }

        var daysText = form["days"].ToString().Trim();
        var days = VacationSettings.DefaultDays;
        if (daysText.Length > 0 && !int.TryParse(daysText, NumberStyles.None, CultureInfo.InvariantCulture, out days))
        {
            return new(false, "--days must be a whole number of at least 1");
        }

        var request = new VacationRequest(form["subject"].ToString().Trim(), form["body"].ToString(), days, from, until);
        if (await services.Vacation.SetAsync(login.UserId, address, request, http.RequestAborted) is { } error)
        {
            return new(false, error);
        }

        var range = (from is null ? "now" : Day(services, from.Value)) + (until is null ? " until cleared" : " through " + LastDay(services, until.Value));
        var past = until is { } end && end <= services.Time.GetUtcNow() ? " (warning: the end date is already past: no reply will be sent)" : "";
        return new(true, $"vacation set: {range}, one reply per sender every {days} days{past}");
    }

    private static string Day(WebServices services, DateTimeOffset time) =>
        TimeZoneInfo.ConvertTime(time, services.Zone).ToString(DateFormat, CultureInfo.InvariantCulture);

    /// <summary>The last day of a period whose end is exclusive (the instant after it).</summary>
    private static string LastDay(WebServices services, DateTimeOffset end) => Day(services, end.AddTicks(-1));
}
