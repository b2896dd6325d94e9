using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Testing.Dns;

namespace MailAppliance.Pipeline.Tests.Authentication;

/// <summary>
/// The same suite through pyspf (Debian's python3-spf, the suite's reference implementation) against the same
/// loopback DNS server: it must agree with the expected results (proving the zone data here is right) and with
/// <see cref="SpfVerifier"/>, case by case (where the suite allows two results, either may be chosen).
/// </summary>
public sealed class SpfPeerTests : IAsyncLifetime
{
    private const string Python = "/usr/bin/python3";

    private LoopbackDnsServer _dns = null!;

    public static TheoryData<string> GroupNames => new(SpfSuite.Groups.Select(g => g.Name));

    public Task InitializeAsync()
    {
        _dns = LoopbackDnsServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    [Theory]
    [MemberData(nameof(GroupNames))]
    public async Task Pyspf_agrees(string name)
    {
        Assert.True(File.Exists("/usr/lib/python3/dist-packages/spf.py"), "python3-spf is missing: run scripts/install-deps.sh --test");
        var group = SpfSuite.Groups.Single(g => g.Name == name);
        _dns.Clear();
        group.Zone(_dns);
        var resolver = new DnsResolver(new DnsResolverOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(1), Attempts = 1, UseCache = false });
        var spf = new SpfVerifier(resolver);

        var peer = await RunPyspfAsync(group.Cases);
        var failures = new List<string>();
        for (var i = 0; i < group.Cases.Length; i++)
        {
            var test = group.Cases[i];
            var ours = (await spf.CheckMailFromAsync(IPAddress.Parse(test.Host), test.MailFrom, test.Helo)).Keyword;
            if (!test.Results.Contains(peer[i]))
            {
                failures.Add($"{test.Name}: pyspf says {peer[i]}, the suite {string.Join(" or ", test.Results)}");
            }
            else if (ours != peer[i] && test.Results.Length == 1)
            {
                failures.Add($"{test.Name}: we say {ours}, pyspf {peer[i]}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private async Task<string[]> RunPyspfAsync(SpfCase[] cases)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Peers", "pyspf_check.py"));
        start.ArgumentList.Add(_dns.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        foreach (var test in cases)
        {
            var ip = IPAddress.Parse(test.Host);
            await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { ip = ip.ToString(), sender = test.MailFrom, helo = test.Helo }));
        }

        process.StandardInput.Close();
        var results = new List<string>();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            results.Add(JsonDocument.Parse(line).RootElement.GetProperty("result").GetString()!);
        }

        await process.WaitForExitAsync();
        Assert.True(results.Count == cases.Length, $"pyspf answered {results.Count} of {cases.Length}: {await stderr}");
        return [.. results];
    }
}
