using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;

namespace MailAppliance.Web.Console;

/// <summary>Server-rendered pages: one layout, every value HTML-encoded on its way in.</summary>
internal static class Html
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
        header{background:#1f3a5f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center}
        header a{color:#fff;text-decoration:none}header .who{margin-left:auto}
        header form{display:inline}header button{background:none;border:1px solid #fff;color:#fff;border-radius:3px;cursor:pointer}
        main{padding:1rem 1.2rem}h1{font-size:1.3rem}
        table{border-collapse:collapse;width:100%;background:#fff;font-size:.85rem}
        th,td{border-bottom:1px solid #dde1e6;padding:.3rem .5rem;text-align:left;vertical-align:top}
        th{background:#eef1f5}tr.new{animation:flash 2s}@keyframes flash{from{background:#fff3b0}to{background:#fff}}
        .kind-rejected,.kind-bounced{color:#a4161a}.kind-delivered,.kind-forwarded{color:#2b7a0b}.kind-deferred{color:#b26b00}
        form.inline{display:inline}.error{color:#a4161a}.note{color:#555}
        input,select,button{font-size:.9rem;margin:.15rem}
        """;

    public static string H(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>A whole page: the navigation the viewer may use, then <paramref name="body"/>.</summary>
    public static IResult Page(string title, Viewer? viewer, string csrf, string body, int status = StatusCodes.Status200OK)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(H(title)).Append(" · MailAppliance</title>")
            .Append("<meta name=\"viewport\" content=\"width=device-width\"><style>").Append(Style).Append("</style></head><body><header><strong>MailAppliance</strong>");
        if (viewer is not null)
        {
            html.Append("<a href=\"/reports\">Reports</a>");
            foreach (var (path, name) in new[] { ("junk", "Junk"), ("spam", "My spam settings"), ("forward", "Forward"), ("vacation", "Vacation") })
            {
                html.Append("<a href=\"/account/").Append(path).Append("\">").Append(name).Append("</a>");
            }

            if (viewer.IsAdmin)
            {
                foreach (var (path, name) in new[] { ("queue", "Queue"), ("domains", "Domains"), ("users", "Users"), ("aliases", "Aliases"), ("spam", "Spam") })
                {
                    html.Append("<a href=\"/admin/").Append(path).Append("\">").Append(name).Append("</a>");
                }
            }

            html.Append("<span class=\"who\" id=\"who\">").Append(H(viewer.Address)).Append(viewer.IsAdmin ? " (admin)" : "").Append("</span>")
                .Append("<form method=\"post\" action=\"/logout\">").Append(CsrfField(csrf)).Append("<button id=\"logout\" type=\"submit\">Log out</button></form>");
        }

        html.Append("</header><main><h1>").Append(H(title)).Append("</h1>").Append(body).Append("</main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>The outcome of the change just made (<c>?done=</c> or <c>?failed=</c> after post/redirect/get).</summary>
    public static string Outcome(HttpContext http) =>
        http.Request.Query["done"].ToString() is { Length: > 0 } done ? $"<p class=\"note\" id=\"done\">{H(done)}</p>"
        : http.Request.Query["failed"].ToString() is { Length: > 0 } failed ? $"<p class=\"error\" id=\"failed\">{H(failed)}</p>" : "";

    public static string CsrfField(string token) => $"<input type=\"hidden\" name=\"{ConsoleAuth.CsrfField}\" value=\"{H(token)}\">";

    /// <summary>A small POST form with one button (queue actions, removals).</summary>
    public static string Button(string action, string label, string csrf, string? id = null) =>
        $"<form class=\"inline\" method=\"post\" action=\"{H(action)}\">{CsrfField(csrf)}<button type=\"submit\"{(id is null ? "" : $" id=\"{H(id)}\"")}>{H(label)}</button></form>";
}
