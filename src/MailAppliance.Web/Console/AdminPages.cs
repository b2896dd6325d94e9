using System.Globalization;
using System.Text;
using MailAppliance.Storage.Queue;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MailAppliance.Web.Console.Html;

namespace MailAppliance.Web.Console;

/// <summary>
/// <c>/admin/queue</c> (retry, hold, release, delete), <c>/admin/domains</c>, <c>/admin/users</c> and
/// <c>/admin/aliases</c>: 403 for anyone but an admin. Each change is a POST with the CSRF token that redirects back
/// with the outcome in <c>?done=</c> or <c>?failed=</c> (post/redirect/get: a reload never repeats it).
/// </summary>
internal static class AdminPages
{
    public static void Map(IEndpointRouteBuilder app, WebServices services)
    {
        var admin = app.MapGroup("/admin").RequireAuthorization();
        admin.MapGet("/queue", (HttpContext http, CancellationToken _) => AsAdminAsync(http, services, "Queue", async (_, csrf) =>
        {
            var rows = await services.Queue.WaitingAsync(http.RequestAborted);
            var body = new StringBuilder("<table id=\"queue\"><thead><tr><th>Queue id</th><th>Recipient</th><th>Sender</th><th>Status</th><th>Attempts</th><th>Next</th><th>Last result</th><th></th></tr></thead><tbody>");
            foreach (var r in rows)
            {
                var id = H(r.QueueId);
                body.Append("<tr data-queue-id=\"").Append(id).Append("\"><td><a href=\"/trail/").Append(id).Append("\">").Append(id).Append("</a></td><td>")
                    .Append(H(r.Recipient)).Append("</td><td>").Append(H(r.MailFrom.Length == 0 ? "<>" : r.MailFrom)).Append("</td><td class=\"status\">")
                    .Append(H(RecipientStatuses.Text(r.Status))).Append("</td><td>").Append(r.Attempts).Append("</td><td>")
                    .Append(H(r.NextAttemptAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))).Append("</td><td>").Append(H(r.LastResult ?? ""))
                    .Append("</td><td>");
                foreach (var action in new[] { "retry", "hold", "release", "delete" })
                {
                    body.Append(Button($"/admin/queue/{r.QueueId}/{action}", action, csrf, $"{action}-{r.QueueId}"));
                }

                body.Append("</td></tr>");
            }

            return body.Append("</tbody></table>").Append(rows.Count == 0 ? "<p class=\"note\" id=\"empty\">Nothing waits.</p>" : "").ToString();
        }));
        admin.MapPost("/queue/{queueId}/{action}", (HttpContext http, string queueId, string action) =>
            ChangeAsync(http, services, "/admin/queue", () => AdminActions.QueueAsync(services, queueId, action, http.RequestAborted)));

        admin.MapGet("/domains", (HttpContext http, CancellationToken _) => AsAdminAsync(http, services, "Domains", async (_, csrf) =>
        {
            var domains = await services.Directory.ListDomainsAsync(http.RequestAborted);
            var body = new StringBuilder("<form method=\"post\" action=\"/admin/domains\" id=\"add-domain\">").Append(CsrfField(csrf))
                .Append("Domain <input name=\"domain\" id=\"domain\" required> <button type=\"submit\">Add</button></form>")
                .Append("<table id=\"domains\"><thead><tr><th>Domain</th><th>Users</th><th>Aliases</th><th></th></tr></thead><tbody>");
            foreach (var d in domains)
            {
                body.Append("<tr><td>").Append(H(d.UnicodeName)).Append("</td><td>").Append(d.Users).Append("</td><td>").Append(d.Aliases).Append("</td><td>")
                    .Append(Button($"/admin/domains/{d.Name}/remove", "remove", csrf)).Append("</td></tr>");
            }

            return body.Append("</tbody></table>").ToString();
        }));
        admin.MapPost("/domains", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            return await ChangeAsync(http, services, "/admin/domains", () => AdminActions.DomainAsync(services, form["domain"].ToString().Trim(), add: true, http.RequestAborted));
        });
        admin.MapPost("/domains/{name}/remove", (HttpContext http, string name) =>
            ChangeAsync(http, services, "/admin/domains", () => AdminActions.DomainAsync(services, name, add: false, http.RequestAborted)));

        admin.MapGet("/users", (HttpContext http, CancellationToken _) => AsAdminAsync(http, services, "Users", async (_, csrf) =>
        {
            var users = await services.Directory.ListUsersAsync(null, http.RequestAborted);
            var body = new StringBuilder("<form method=\"post\" action=\"/admin/users\" id=\"add-user\">").Append(CsrfField(csrf))
                .Append("Address <input name=\"address\" id=\"address\" type=\"email\" required> Password <input name=\"password\" id=\"new-password\" type=\"password\" autocomplete=\"new-password\"> ")
                .Append("<label><input type=\"checkbox\" name=\"admin\" value=\"on\" id=\"admin\"> admin</label> <button type=\"submit\">Add</button></form>")
                .Append("<table id=\"users\"><thead><tr><th>Address</th><th>Quota</th><th>Enabled</th><th>Password</th><th>Admin</th><th></th></tr></thead><tbody>");
            foreach (var u in users)
            {
                var toggle = u.Admin ? "admin-off" : "admin-on";
                body.Append("<tr><td>").Append(H(u.Address)).Append("</td><td>").Append(u.QuotaBytes is { } q ? MailAppliance.Core.Text.ByteSize.Format(q) : "-")
                    .Append("</td><td>").Append(u.Enabled ? "yes" : "no").Append("</td><td>").Append(u.HasPassword ? "set" : "none").Append("</td><td>")
                    .Append(u.Admin ? "yes" : "").Append("</td><td>").Append(Button($"/admin/users/{u.Address}/{toggle}", u.Admin ? "revoke admin" : "make admin", csrf))
                    .Append(Button($"/admin/users/{u.Address}/remove", "remove", csrf)).Append("</td></tr>");
            }

            return body.Append("</tbody></table>").ToString();
        }));
        admin.MapPost("/users", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            return await ChangeAsync(http, services, "/admin/users", () => AdminActions.AddUserAsync(services, services.Hasher, form["address"].ToString().Trim(),
                form["password"].ToString(), form["admin"] == "on", http.RequestAborted));
        });
        admin.MapPost("/users/{address}/{action}", (HttpContext http, string address, string action) =>
            ChangeAsync(http, services, "/admin/users", () => AdminActions.UserAsync(services, address, action, http.RequestAborted)));

        admin.MapGet("/aliases", (HttpContext http, CancellationToken _) => AsAdminAsync(http, services, "Aliases", async (_, csrf) =>
        {
            var aliases = await services.Directory.ListAliasesAsync(null, http.RequestAborted);
            var body = new StringBuilder("<form method=\"post\" action=\"/admin/aliases\" id=\"add-alias\">").Append(CsrfField(csrf))
                .Append("Alias <input name=\"alias\" id=\"alias\" required> Targets <input name=\"targets\" id=\"targets\" size=\"40\" required> <button type=\"submit\">Add</button></form>")
                .Append("<table id=\"aliases\"><thead><tr><th>Alias</th><th>Targets</th><th></th></tr></thead><tbody>");
            foreach (var a in aliases)
            {
                body.Append("<tr><td>").Append(H(a.Address)).Append("</td><td>").Append(H(string.Join(", ", a.Targets))).Append("</td><td>")
                    .Append(Button($"/admin/aliases/{a.Address}/remove", "remove", csrf)).Append("</td></tr>");
            }

            return body.Append("</tbody></table>").ToString();
        }));
        admin.MapPost("/aliases", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            return await ChangeAsync(http, services, "/admin/aliases", () => AdminActions.AliasAsync(services, form["alias"].ToString().Trim(), [form["targets"].ToString()], add: true, http.RequestAborted));
        });
        admin.MapPost("/aliases/{alias}/remove", (HttpContext http, string alias) =>
            ChangeAsync(http, services, "/admin/aliases", () => AdminActions.AliasAsync(services, alias, [], add: false, http.RequestAborted)));
        SpamPages.Map(admin, services);
    }

    /// <summary>An admin page: 403 for anyone else; the outcome of the last change shown above the content.</summary>
    internal static async Task<IResult> AsAdminAsync(HttpContext http, WebServices services, string title, Func<Viewer, string, Task<string>> content)
    {
        var viewer = await Viewer.OfAsync(http, services);
        var csrf = ConsoleAuth.CsrfToken(http);
        if (viewer is not { IsAdmin: true })
        {
            return Page("Forbidden", viewer, csrf, "<p class=\"error\" id=\"forbidden\">Only an admin may see this page.</p>", StatusCodes.Status403Forbidden);
        }

        return Page(title, viewer, csrf, Outcome(http) + await content(viewer, csrf));
    }

    internal static async Task<IResult> ChangeAsync(HttpContext http, WebServices services, string back, Func<Task<AdminActions.Outcome>> change)
    {
        var viewer = await Viewer.OfAsync(http, services);
        if (viewer is not { IsAdmin: true })
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (!await ConsoleAuth.ValidCsrfAsync(http))
        {
            return Results.BadRequest();
        }

        var outcome = await change();
        return Results.Redirect($"{back}?{(outcome.Ok ? "done" : "failed")}={Uri.EscapeDataString(outcome.Message)}");
    }
}
