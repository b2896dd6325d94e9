using System.Net;
using MailAppliance.Smtp.Client.MtaSts;
using MailAppliance.Testing;

namespace MailAppliance.Smtp.Tests.Client.MtaSts;

public sealed class MtaStsFetcherTests : IAsyncLifetime
{
    private const string Policy = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";
    private readonly TestCertificates _certificates = new();
    private HttpsTestServer _server = null!;

    public Task InitializeAsync()
    {
        _server = new HttpsTestServer(_certificates.Context(_certificates.Issue("mta-sts.example.test")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificates.Dispose();
    }

    /// <summary>A fetcher whose resolver puts every policy host on loopback, at the test server's port.</summary>
    private MtaStsFetcher Fetcher(bool trustTestCa = true) => new(
        new MtaStsFetcherOptions { Port = _server.Port, TrustedRoots = trustTestCa ? _certificates.Roots : null, Timeout = TimeSpan.FromSeconds(10) },
        (_, _) => Task.FromResult<IReadOnlyList<IPAddress>>([IPAddress.Loopback]));

    [Fact]
    public async Task The_policy_is_fetched_from_the_well_known_path_of_the_mta_sts_host()
    {
        _server.Respond("/.well-known/mta-sts.txt", HttpsTestResponse.Text(Policy));
        using var fetcher = Fetcher();
        var result = await fetcher.FetchAsync("example.test");
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(MtaStsMode.Enforce, result.Policy!.Mode);
        Assert.Equal(["mx.example.test"], result.Policy.Mx);
        Assert.Equal(["mta-sts.example.test /.well-known/mta-sts.txt"], _server.Requests);
    }

    [Fact]
    public async Task A_certificate_the_fetcher_cannot_verify_gives_no_policy()
    {
        _server.Respond("/.well-known/mta-sts.txt", HttpsTestResponse.Text(Policy));
        using var fetcher = Fetcher(trustTestCa: false);
        var result = await fetcher.FetchAsync("example.test");
        Assert.False(result.Succeeded);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public async Task A_certificate_for_another_host_gives_no_policy()
    {
        await using var other = new HttpsTestServer(_certificates.Context(_certificates.Issue("www.example.test")));
        other.Respond("/.well-known/mta-sts.txt", HttpsTestResponse.Text(Policy));
        using var fetcher = new MtaStsFetcher(
            new MtaStsFetcherOptions { Port = other.Port, TrustedRoots = _certificates.Roots },
            (_, _) => Task.FromResult<IReadOnlyList<IPAddress>>([IPAddress.Loopback]));
        Assert.False((await fetcher.FetchAsync("example.test")).Succeeded);
    }

    [Fact]
    public async Task Redirects_are_not_followed()
    {
        _server.Respond("/.well-known/mta-sts.txt", new HttpsTestResponse(301, "text/plain", "", new Dictionary<string, string> { ["Location"] = "/elsewhere" }));
        _server.Respond("/elsewhere", HttpsTestResponse.Text(Policy));
        using var fetcher = Fetcher();
        var result = await fetcher.FetchAsync("example.test");
        Assert.False(result.Succeeded);
        Assert.Contains("301", result.Error, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Theory]
    [InlineData(404, "text/plain", Policy, "404")]
    [InlineData(200, "text/html", Policy, "not text/plain")]
    [InlineData(200, "text/plain", "version: STSv1\r\nmode: enforce\r\n", "max_age")]
    public async Task Anything_but_a_valid_text_plain_200_gives_no_policy(int status, string type, string body, string reason)
    {
        _server.Respond("/.well-known/mta-sts.txt", new HttpsTestResponse(status, type, body));
        using var fetcher = Fetcher();
        var result = await fetcher.FetchAsync("example.test");
        Assert.False(result.Succeeded);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_charset_parameter_is_fine_and_an_oversized_body_is_refused()
    {
        _server.Respond("/.well-known/mta-sts.txt", new HttpsTestResponse(200, "text/plain; charset=utf-8", Policy));
        using var fetcher = Fetcher();
        Assert.True((await fetcher.FetchAsync("example.test")).Succeeded);

        _server.Respond("/.well-known/mta-sts.txt", HttpsTestResponse.Text(Policy + new string('#', 70_000)));
        var big = await fetcher.FetchAsync("example.test");
        Assert.False(big.Succeeded);
        Assert.Contains("longer than", big.Error, StringComparison.Ordinal);
    }
}
