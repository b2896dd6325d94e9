using System.Diagnostics;
using System.Net;
using MailAppliance.Database;

namespace MailAppliance.Web.Tests;

/// <summary>An appliance on its own embedded PostgreSQL, so that the test can stop the database under it.</summary>
public sealed class EmbeddedWebFixture : WebFixture
{
    protected override bool UseTestCluster => false;

    /// <summary>Stops the embedded cluster at once (as a crash or an operator would), leaving <c>serve</c> running.</summary>
    public async Task StopDatabaseAsync()
    {
        var bin = await PostgresBinaries.LocateAsync(null, CancellationToken.None);
        var start = new ProcessStartInfo(EmbeddedPostgres.ClusterOsUser is null ? Path.Combine(bin, "pg_ctl") : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var arguments = new List<string>();
        if (EmbeddedPostgres.ClusterOsUser is { } user)
        {
            arguments.AddRange(["-u", user, "--", Path.Combine(bin, "pg_ctl")]);
        }

        arguments.AddRange(["stop", "-D", Path.Combine(DataDirectory, "pg"), "-m", "immediate", "-w"]);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
    }
}

/// <summary>INTERFACE.md: <c>/readyz</c> answers 503 within 5 s of losing the database, <c>/healthz</c> still 200.</summary>
public sealed class ReadinessTests : IClassFixture<EmbeddedWebFixture>
{
    private readonly EmbeddedWebFixture _app;

    public ReadinessTests(EmbeddedWebFixture app) => _app = app;

    [Fact]
    public async Task Readiness_flips_to_503_within_five_seconds_when_postgresql_stops()
    {
        Assert.Equal(HttpStatusCode.OK, (await _app.GetAsync("/readyz")).Status);
        await _app.StopDatabaseAsync();
        var stopped = Stopwatch.StartNew();
        (HttpStatusCode Status, string Body) ready;
        do
        {
            ready = await _app.GetAsync("/readyz");
        }
        while (ready.Status == HttpStatusCode.OK && stopped.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(5), $"readiness flipped after {stopped.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("database: unreachable", ready.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _app.GetAsync("/healthz")).Status);
    }
}
