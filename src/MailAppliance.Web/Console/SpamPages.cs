using System.Globalization;
using System.Text;
using MailAppliance.Storage.Spam;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MailAppliance.Web.Console.Html;

namespace MailAppliance.Web.Console;

/// <summary>
/// <c>/admin/spam</c>: the global spam thresholds (the configured ones unless set here) and allow/block lists, and
/// forms that set a threshold or add a list entry globally, for a domain or for a user — what <c>spam threshold</c>,
/// <c>spam allow</c> and <c>spam block</c> do, on the same tables.
/// </summary>
internal static class SpamPages
{
    public static void Map(RouteGroupBuilder admin, WebServices services)
    {
        admin.MapGet("/spam", (HttpContext http, CancellationToken _) => AdminPages.AsAdminAsync(http, services, "Spam", async (_, csrf) =>
        {
            var rows = services.Spam is null ? new SpamPolicyRows([], []) : await services.Spam.ReadAsync([SpamScope.Global], http.RequestAborted);
            var global = rows.Thresholds.Count > 0 ? rows.Thresholds[0] : null;
            var defaults = services.SpamDefaults;
            var body = new StringBuilder("<table id=\"thresholds\"><thead><tr><th>Threshold</th><th>Global</th></tr></thead><tbody>");
            foreach (var (name, value) in new[] { ("tag", global?.Tag ?? defaults.Tag), ("reject", global?.Reject ?? defaults.Reject), ("discard-forward", global?.DiscardForward ?? defaults.DiscardForward) })
            {
                body.Append("<tr data-threshold=\"").Append(name).Append("\"><td>").Append(name).Append("</td><td class=\"value\">")
                    .Append(value.ToString("0.0##", CultureInfo.InvariantCulture)).Append("</td></tr>");
            }

            body.Append("</tbody></table><table id=\"lists\"><thead><tr><th>Entry</th><th>List</th></tr></thead><tbody>");
            foreach (var entry in rows.Entries.OrderBy(e => e.Entry, StringComparer.Ordinal))
            {
                body.Append("<tr><td>").Append(H(entry.Entry)).Append("</td><td>").Append(entry.Allow ? "allow" : "block").Append("</td></tr>");
            }

            return body.Append("</tbody></table>")
                .Append("<form method=\"post\" action=\"/admin/spam/threshold\" id=\"set-threshold\">").Append(CsrfField(csrf))
                .Append("<select name=\"kind\" id=\"threshold-kind\"><option>tag</option><option>reject</option><option>discard-forward</option></select> ")
                .Append("<input name=\"value\" id=\"threshold-value\" required size=\"6\"> for <input name=\"scope\" id=\"threshold-scope\" placeholder=\"global, a domain or a user\"> ")
                .Append("<button type=\"submit\">Set</button></form>")
                .Append("<form method=\"post\" action=\"/admin/spam/list\" id=\"add-entry\">").Append(CsrfField(csrf))
                .Append("<select name=\"list\" id=\"list-kind\"><option>allow</option><option>block</option></select> ")
                .Append("<input name=\"entry\" id=\"list-entry\" required placeholder=\"address or domain\"> for <input name=\"scope\" id=\"list-scope\" placeholder=\"global, a domain or a user\"> ")
                .Append("<button type=\"submit\">Add</button></form>").ToString();
        }));
        admin.MapPost("/spam/threshold", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            return await AdminPages.ChangeAsync(http, services, "/admin/spam", () => ThresholdAsync(services, form["kind"].ToString(), form["value"].ToString(), form["scope"].ToString(), http.RequestAborted));
        });
        admin.MapPost("/spam/list", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            return await AdminPages.ChangeAsync(http, services, "/admin/spam", () => ListAsync(services, form["list"].ToString(), form["entry"].ToString(), form["scope"].ToString(), http.RequestAborted));
        });
    }

    // The checks are SpamSettingInput's, as for the spam verbs: the form accepts and refuses what the CLI does.
    internal static async Task<AdminActions.Outcome> ThresholdAsync(WebServices services, string kindText, string valueText, string scopeText, CancellationToken cancellationToken)
    {
        if (!SpamSettingInput.TryParseKind(kindText, out var kind))
        {
            return new AdminActions.Outcome(false, $"'{kindText}' is not {SpamSettingInput.ThresholdKinds}");
        }

        if (!SpamSettingInput.TryParseThreshold(valueText, out var value, out var error))
        {
            return new AdminActions.Outcome(false, error);
        }

        var (scope, scopeError) = await ScopeAsync(services, scopeText, cancellationToken);
        if (scope is null)
        {
            return new AdminActions.Outcome(false, scopeError);
        }

        await services.Spam!.SetThresholdAsync(scope, kind, value, cancellationToken);
        return new AdminActions.Outcome(true, string.Create(CultureInfo.InvariantCulture, $"{SpamSettingInput.Name(kind)} threshold {value:0.0##} for {scope}"));
    }

    internal static async Task<AdminActions.Outcome> ListAsync(WebServices services, string list, string entryText, string scopeText, CancellationToken cancellationToken)
    {
        if (list is not ("allow" or "block"))
        {
            return new AdminActions.Outcome(false, $"'{list}' is not allow or block");
        }

        if (!SpamSettingInput.TryParseEntry(entryText, out var entry, out var error))
        {
            return new AdminActions.Outcome(false, error);
        }

        var (scope, scopeError) = await ScopeAsync(services, scopeText, cancellationToken);
        if (scope is null)
        {
            return new AdminActions.Outcome(false, scopeError);
        }

        await services.Spam!.SetListEntryAsync(scope, entry, list == "allow", cancellationToken);
        return new AdminActions.Outcome(true, $"{list} {entry} for {scope}");
    }

    /// <summary>Empty or <c>global</c>, a domain (like <c>--domain</c>), or an address (like <c>--user</c>).</summary>
    private static async Task<(SpamScope? Scope, string Error)> ScopeAsync(WebServices services, string text, CancellationToken cancellationToken)
    {
        if (services.Spam is null)
        {
            return (null, "spam settings are not available");
        }

        var value = text.Trim();
        if (value.Length == 0 || value == "global")
        {
            return (SpamScope.Global, "");
        }

        var isUser = value.Contains('@', StringComparison.Ordinal);
        var (scope, _, message) = await SpamSettingInput.ResolveScopeAsync(services.Directory, isUser ? value : null, isUser ? null : value, cancellationToken);
        return (scope, message);
    }
}
