using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailAppliance.Web.Health;

/// <summary>
/// <c>/healthz</c>: the process answers. <c>/readyz</c>: the database answers a query within two seconds and every
/// configured listener accepts; else 503 with what is wrong (so a load balancer takes the node out within 5 s of an
/// outage: INTERFACE.md). <c>/metrics</c>: Prometheus text. None needs a login.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(2);

    public static void Map(IEndpointRouteBuilder app, WebServices services)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", async (HttpContext http) =>
        {
            var database = await services.Gauges.DatabaseReachableAsync(DatabaseTimeout, http.RequestAborted);
            var listeners = services.ListenersUp();
            var text = $"database: {(database ? "ok" : "unreachable")}\nlisteners: {(listeners ? "ok" : "down")}\n";
            return database && listeners ? Results.Text(text) : Results.Text(text, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/metrics", async (HttpContext http) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await services.Metrics.WriteAsync(http.Response.Body, http.RequestAborted);
        });
    }
}
