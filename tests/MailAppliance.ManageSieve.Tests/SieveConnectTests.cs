using System.Diagnostics;
using MailAppliance.Testing;

namespace MailAppliance.ManageSieve.Tests;

/// <summary>Debian's sieve-connect (installed by scripts/install-deps.sh --test) against the real appliance.</summary>
public sealed class SieveConnectTests : IClassFixture<ApplianceFixture>
{
    private readonly ApplianceFixture _app;

    public SieveConnectTests(ApplianceFixture app) => _app = app;

    private async Task<(int Exit, string Output)> SieveConnectAsync(params string[] arguments)
    {
        // The password comes on file descriptor 0 (--passwordfd 0); TLS with our self-signed certificate.
        var all = new List<string> { "--server", "127.0.0.1", "--port", _app.ManageSievePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--user", "sc@example.test", "--passwordfd", "0", "--notlsverify", "--authmech", "PLAIN" };
        all.AddRange(arguments);
        return await ApplianceFixture.RunAsync("sieve-connect", all, "pw\n", TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Sieve_connect_uploads_lists_activates_downloads_and_deletes()
    {
        await _app.Ok("user add sc@example.test --password-stdin", "pw\n");
        var dir = TestDirectories.Create("sieve-connect");
        var local = Path.Combine(dir, "vacation.sieve");
        var script = "require [\"fileinto\", \"vacation\"];\nif header :contains \"subject\" \"invoice\" { fileinto \"Invoices\"; }\nvacation :days 3 \"Away\";\n";
        await File.WriteAllTextAsync(local, script);

        var upload = await SieveConnectAsync("--upload", "--localsieve", local, "--remotesieve", "vac");
        Assert.True(upload.Exit == 0, upload.Output);
        var activate = await SieveConnectAsync("--activate", "--remotesieve", "vac");
        Assert.True(activate.Exit == 0, activate.Output);
        var list = await SieveConnectAsync("--list");
        Assert.True(list.Exit == 0, list.Output);
        Assert.Contains("vac", list.Output);
        Assert.Contains("\"vac\" ACTIVE", list.Output);

        var downloaded = Path.Combine(dir, "down.sieve");
        var download = await SieveConnectAsync("--download", "--remotesieve", "vac", "--localsieve", downloaded);
        Assert.True(download.Exit == 0, download.Output);
        Assert.Equal(script, await File.ReadAllTextAsync(downloaded));

        var broken = Path.Combine(dir, "broken.sieve");
        await File.WriteAllTextAsync(broken, "require \"fileinto\";\nfileinto;\n");
        var refused = await SieveConnectAsync("--upload", "--localsieve", broken, "--remotesieve", "broken");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("line 2", refused.Output);

        Assert.NotEqual(0, (await SieveConnectAsync("--delete", "--remotesieve", "vac")).Exit);
        Assert.Equal(0, (await SieveConnectAsync("--deactivate")).Exit);
        var delete = await SieveConnectAsync("--delete", "--remotesieve", "vac");
        Assert.True(delete.Exit == 0, delete.Output);
        Assert.DoesNotContain("vac", (await SieveConnectAsync("--list")).Output);
    }
}
