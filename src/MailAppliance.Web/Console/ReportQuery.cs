using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Reports;
using Microsoft.AspNetCore.Http;

namespace MailAppliance.Web.Console;

/// <summary>The report filter of a request (<c>?kind=&amp;domain=&amp;user=&amp;since=</c>), narrowed to the viewer's own mail
/// unless they are an admin.</summary>
internal static class ReportQuery
{
    public static bool TryParse(HttpContext http, Viewer viewer, DateTimeOffset now, TimeSpan defaultSpan, out ReportFilter filter, out string? error)
    {
        var query = http.Request.Query;
        filter = new ReportFilter { Viewer = viewer.IsAdmin ? null : viewer.Address, Since = now - defaultSpan };
        error = null;
        var kind = query["kind"].ToString();
        if (kind.Length > 0 && kind != "all")
        {
            var match = Enum.GetValues<ReportKind>().Where(k => ReportStore.Name(k) == kind).ToList();
            if (match.Count == 0)
            {
                error = $"unknown kind '{kind}'";
                return false;
            }

            filter = filter with { Kinds = match };
        }

        var domain = query["domain"].ToString();
        if (domain.Length > 0)
        {
            if (!DomainName.TryParse(domain, out var parsed, out _))
            {
                error = $"bad domain '{domain}'";
                return false;
            }

            filter = filter with { Domain = parsed.Ascii };
        }

        var user = query["user"].ToString();
        if (user.Length > 0)
        {
            if (!MailAddress.TryParse(user, out var address, out _))
            {
                error = $"bad address '{user}'";
                return false;
            }

            filter = filter with { Involving = address.ToString() };
        }

        var since = query["since"].ToString();
        if (since.Length > 0)
        {
            if (!ReportSince.TryParse(since, now, out var from))
            {
                error = $"bad since '{since}' (90s, 10m, 1h, 7d or an RFC 3339 time)";
                return false;
            }

            filter = filter with { Since = from };
        }

        return true;
    }
}
