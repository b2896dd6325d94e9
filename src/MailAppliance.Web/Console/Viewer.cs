using System.Security.Claims;
using MailAppliance.Core.Addresses;
using Microsoft.AspNetCore.Http;

namespace MailAppliance.Web.Console;

/// <summary>Who is looking: their address, and whether they are an admin now (read on every request, so
/// <c>user admin ADDRESS off</c> or <c>user remove</c> applies to a logged-in session at its next click).</summary>
public sealed record Viewer(string Address, bool IsAdmin)
{
    /// <summary>The viewer of a logged-in request, or null (not logged in, or the user is gone or disabled).</summary>
    public static async Task<Viewer?> OfAsync(HttpContext http, WebServices services)
    {
        if (http.Items.TryGetValue(typeof(Viewer), out var cached))
        {
            return cached as Viewer;
        }

        Viewer? viewer = null;
        if (http.User.Identity is { IsAuthenticated: true, Name: { } name } && MailAddress.TryParse(name, out var address, out _)
            && await services.Directory.FindLoginAsync(address, http.RequestAborted) is not null)
        {
            viewer = new Viewer(address.ToString(), await services.Directory.IsAdminAsync(address, http.RequestAborted));
        }

        http.Items[typeof(Viewer)] = viewer;
        return viewer;
    }

    public static ClaimsPrincipal Principal(string address, string scheme) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, address)], scheme));
}
