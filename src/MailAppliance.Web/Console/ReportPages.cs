using System.Text;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Reports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MailAppliance.Web.Console.Html;

namespace MailAppliance.Web.Console;

/// <summary>
/// <c>/reports</c>: the last hour's events, newest first, then new ones live (an EventSource on
/// <c>/api/reports/stream</c> puts each at the top as it is written). <c>/trail/QUEUE-ID</c>: one message's way, from
/// acceptance (with its score and symbols) through routing to each recipient's outcome, with the queue's attempts and
/// the remote replies. A user sees only events that involve them.
/// </summary>
internal static class ReportPages
{
    private const int PageLimit = 500;

    private const string LiveScript = """
        <script>
        (function () {
          var table = document.getElementById('events');
          var body = table.tBodies[0];
          var params = new URLSearchParams(location.search);
          params.set('after', table.dataset.lastId);
          var source = new EventSource('/api/reports/stream?' + params.toString());
          function cell(row, text, cls) { var td = row.insertCell(-1); td.textContent = text || '-'; if (cls) td.className = cls; return td; }
          source.onmessage = function (message) {
            var e = JSON.parse(message.data);
            var row = body.insertRow(0);
            row.className = 'new event';
            row.dataset.id = message.lastEventId;
            cell(row, e.time);
            cell(row, e.kind, 'kind kind-' + e.kind);
            cell(row, e.stage);
            var q = row.insertCell(-1);
            if (e.queueId) { var a = document.createElement('a'); a.href = '/trail/' + encodeURIComponent(e.queueId); a.textContent = e.queueId; q.appendChild(a); } else { q.textContent = '-'; }
            cell(row, e.sender === '' ? '<>' : e.sender);
            cell(row, e.recipient);
            cell(row, e.detail);
            document.getElementById('live').textContent = 'live';
          };
          source.onopen = function () { document.getElementById('live').textContent = 'live'; };
          source.onerror = function () { document.getElementById('live').textContent = 'reconnecting'; };
        })();
        </script>
        """;

    public static void Map(IEndpointRouteBuilder app, WebServices services)
    {
        app.MapGet("/reports", async (HttpContext http) =>
        {
            var viewer = (await Viewer.OfAsync(http, services))!;
            var csrf = ConsoleAuth.CsrfToken(http);
            if (!ReportQuery.TryParse(http, viewer, services.Time.GetUtcNow(), TimeSpan.FromHours(1), out var filter, out var error))
            {
                return Page("Reports", viewer, csrf, $"<p class=\"error\">{H(error)}</p>", StatusCodes.Status400BadRequest);
            }

            var lastId = await services.Reports.LastIdAsync(http.RequestAborted);
            var events = (await services.Reports.QueryAsync(filter, PageLimit, newestFirst: true, http.RequestAborted)).Where(e => e.Id <= lastId).ToList();
            var body = new StringBuilder();
            body.Append(FilterForm(http, viewer));
            body.Append("<p class=\"note\">").Append(viewer.IsAdmin ? "All domains" : "Mail sent by or to you").Append(", newest first. <span id=\"live\">connecting</span></p>");
            body.Append("<table id=\"events\" data-last-id=\"").Append(lastId).Append("\"><thead><tr><th>Time</th><th>Kind</th><th>Stage</th><th>Queue id</th><th>Sender</th><th>Recipient</th><th>Detail</th></tr></thead><tbody>");
            foreach (var entry in events)
            {
                body.Append(Row(entry));
            }

            body.Append("</tbody></table>").Append(LiveScript);
            return Page("Reports", viewer, csrf, body.ToString());
        }).RequireAuthorization();

        app.MapGet("/trail/{queueId}", async (HttpContext http, string queueId) =>
        {
            var viewer = (await Viewer.OfAsync(http, services))!;
            var csrf = ConsoleAuth.CsrfToken(http);
            var trail = await Trail.LoadAsync(services, viewer, queueId, http.RequestAborted);
            if (trail is null)
            {
                return Page("Message trail", viewer, csrf, "<p class=\"error\">No such message (or not yours).</p>", StatusCodes.Status404NotFound);
            }

            return Page($"Message {queueId}", viewer, csrf, TrailBody(trail));
        }).RequireAuthorization();
    }

    private static string FilterForm(HttpContext http, Viewer viewer)
    {
        var q = http.Request.Query;
        var kinds = new[] { "all" }.Concat(Enum.GetValues<ReportKind>().Select(ReportStore.Name));
        var form = new StringBuilder("<form method=\"get\" action=\"/reports\" id=\"filters\">Kind <select name=\"kind\" id=\"kind\">");
        foreach (var kind in kinds)
        {
            form.Append("<option").Append(q["kind"] == kind ? " selected" : "").Append('>').Append(kind).Append("</option>");
        }

        form.Append("</select>");
        if (viewer.IsAdmin)
        {
            form.Append(" Domain <input name=\"domain\" id=\"domain\" value=\"").Append(H(q["domain"])).Append("\">")
                .Append(" User <input name=\"user\" id=\"user\" value=\"").Append(H(q["user"])).Append("\">");
        }

        form.Append(" Since <input name=\"since\" id=\"since\" size=\"6\" placeholder=\"1h\" value=\"").Append(H(q["since"])).Append("\"> <button type=\"submit\">Filter</button></form>");
        return form.ToString();
    }

    internal static string Row(ReportEntry entry)
    {
        var e = entry.Event;
        var kind = ReportStore.Name(e.Kind);
        var queue = e.QueueId is null ? "-" : $"<a href=\"/trail/{H(Uri.EscapeDataString(e.QueueId))}\">{H(e.QueueId)}</a>";
        return $"<tr class=\"event\" data-id=\"{entry.Id}\"><td>{H(ReportJson.FormatTime(e.Time))}</td><td class=\"kind kind-{kind}\">{kind}</td>"
            + $"<td>{H(e.Stage is { } s ? ReportStore.Name(s) : "-")}</td><td>{queue}</td><td>{H(e.Sender is null ? "-" : e.Sender.Length == 0 ? "<>" : e.Sender)}</td>"
            + $"<td>{H(e.Recipient ?? "-")}</td><td>{H(ReportText.Detail(e) is { Length: > 0 } d ? d : "-")}</td></tr>";
    }

    private static string TrailBody(Trail trail)
    {
        var body = new StringBuilder();
        if (trail.Message is { } message)
        {
            body.Append("<h2>In the queue</h2><table id=\"queue\"><thead><tr><th>Recipient</th><th>Status</th><th>Attempts</th><th>Last result</th></tr></thead><tbody>");
            foreach (var r in message.Recipients)
            {
                body.Append("<tr><td>").Append(H(r.Recipient)).Append("</td><td>").Append(H(RecipientStatuses.Text(r.Status))).Append("</td><td>")
                    .Append(r.Attempts).Append("</td><td>").Append(H(r.LastResult ?? "")).Append("</td></tr>");
            }

            body.Append("</tbody></table><h2>Attempts</h2><table id=\"attempts\"><thead><tr><th>Time</th><th>Recipient</th><th>Status</th><th>Reply</th></tr></thead><tbody>");
            foreach (var a in message.Attempts)
            {
                body.Append("<tr><td>").Append(H(ReportJson.FormatTime(a.At))).Append("</td><td>").Append(H(a.Recipient)).Append("</td><td>")
                    .Append(H(RecipientStatuses.Text(a.Status))).Append("</td><td>").Append(H(a.Reply)).Append("</td></tr>");
            }

            body.Append("</tbody></table>");
        }

        body.Append("<h2>Events</h2><ol id=\"trail\">");
        foreach (var entry in trail.Events)
        {
            var e = entry.Event;
            body.Append("<li class=\"step kind-").Append(ReportStore.Name(e.Kind)).Append("\"><strong>").Append(ReportStore.Name(e.Kind)).Append("</strong> ")
                .Append(H(ReportJson.FormatTime(e.Time))).Append(" — ").Append(H(e.Recipient ?? "")).Append(": ").Append(H(ReportText.Detail(e))).Append("</li>");
        }

        return body.Append("</ol>").ToString();
    }
}

/// <summary>One message's events and, while it is still queued, its queue rows and attempts.</summary>
internal sealed record Trail(string QueueId, IReadOnlyList<ReportEntry> Events, QueuedMessage? Message)
{
    /// <summary>The trail as <paramref name="viewer"/> may see it; null when there is nothing (or nothing of theirs).</summary>
    public static async Task<Trail?> LoadAsync(WebServices services, Viewer viewer, string queueId, CancellationToken cancellationToken)
    {
        if (queueId.Length is < 8 or > 32 || !queueId.All(char.IsAsciiLetterOrDigit))
        {
            return null;
        }

        var filter = new ReportFilter { QueueId = queueId, Viewer = viewer.IsAdmin ? null : viewer.Address };
        var events = await services.Reports.QueryAsync(filter, 1000, newestFirst: false, cancellationToken);
        if (!viewer.IsAdmin && events.Count == 0)
        {
            return null;
        }

        var message = await services.Queue.ShowAsync(queueId, cancellationToken);
        if (message is not null && !viewer.IsAdmin)
        {
            // A user sees only their own recipients' rows of a message they are part of.
            var own = message.Recipients.Where(r => string.Equals(r.Recipient, viewer.Address, StringComparison.OrdinalIgnoreCase)
                || string.Equals(r.MailFrom, viewer.Address, StringComparison.OrdinalIgnoreCase)).ToList();
            message = message with { Recipients = own, Attempts = message.Attempts.Where(a => own.Any(r => r.Recipient == a.Recipient)).ToList() };
        }

        return events.Count == 0 && message is null ? null : new Trail(queueId, events, message);
    }
}
