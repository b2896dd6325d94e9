using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace MailAppliance.Web.Tests;

/// <summary>
/// <c>/api/account/...</c> (a user's own spam settings, forward and vacation) and <c>/api/spam</c> (an admin's), with
/// HTTP Basic: the same rules as the console and the CLI, checked through the CLI; nobody reaches another's settings.
/// </summary>
public sealed class AccountApiTests : IClassFixture<AccountFixture>
{
    private readonly AccountFixture _app;

    public AccountApiTests(AccountFixture app) => _app = app;

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, string user, string password, object? body = null)
    {
        using var request = _app.Request(method, path, user, password);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await _app.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task A_user_reads_and_changes_their_own_settings_as_json()
    {
        var user = await _app.NewUserAsync("owen");
        const string Password = "owenpw";

        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Http.GetAsync("/api/account/spam")).StatusCode);

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/account/spam/threshold", user, Password, new { kind = "tag", value = 4.25 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("tag threshold 4.25 for you", (string?)body!["message"]);
        (status, body) = await SendAsync(HttpMethod.Post, "/api/account/spam/threshold", user, Password, new { kind = "tag", value = "many" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("'many' is not a number", (string?)body!["error"]);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, "/api/account/spam/list", user, Password, new { list = "allow", entry = "Friend@Pals.Test" })).Status);

        (_, body) = await SendAsync(HttpMethod.Get, "/api/account/spam", user, Password);
        var tag = body!["thresholds"]!.AsArray().Single(t => (string?)t!["name"] == "tag")!;
        Assert.Equal(4.25, (double)tag["applies"]!);
        Assert.Equal("you", (string?)tag["setBy"]);
        Assert.Contains(body["entries"]!.AsArray(), e => (string?)e!["entry"] == "friend@pals.test" && (string?)e["list"] == "allow" && (bool)e["own"]!);
        var shown = await _app.OutputAsync($"spam show --user {user}");
        Assert.Contains("4.25", shown, StringComparison.Ordinal);
        Assert.Contains("friend@pals.test", shown, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/api/account/forward", user, Password, new { targets = new[] { "owen@strict.test" }, keep = true })).Status);
        (_, body) = await SendAsync(HttpMethod.Get, "/api/account/forward", user, Password);
        Assert.Equal(2.0, (double)body!["destinations"]![0]!["threshold"]!);
        Assert.Contains("owen@strict.test (keeping a copy)", await _app.OutputAsync($"user forward {user}"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Put, "/api/account/forward", user, Password, new { targets = new[] { user } })).Status);

        var until = DateTime.Now.Date.AddDays(3).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        (status, body) = await SendAsync(HttpMethod.Put, "/api/account/vacation", user, Password, new { subject = "Away", body = "Back soon.", until, days = 2 });
        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        (_, body) = await SendAsync(HttpMethod.Get, "/api/account/vacation", user, Password);
        Assert.True((bool)body!["replying"]!);
        Assert.Equal(2, (int)body["days"]!);
        Assert.Contains(":days 2", await _app.OutputAsync($"sieve get {user} vacation"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Delete, "/api/account/vacation", user, Password)).Status);
        Assert.False((bool)(await SendAsync(HttpMethod.Get, "/api/account/vacation", user, Password)).Body!["set"]!);
    }

    [Fact]
    public async Task Only_an_admin_reaches_the_spam_settings_of_every_level()
    {
        var user = await _app.NewUserAsync("pia");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, "/api/spam", user, "piapw")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, "/api/spam/threshold", user, "piapw", new { kind = "tag", value = 1 })).Status);

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/spam/threshold", WebFixture.Admin, WebFixture.AdminPassword, new { kind = "reject", value = "12.5", domain = "example.test" });
        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        (status, body) = await SendAsync(HttpMethod.Post, "/api/spam/threshold", WebFixture.Admin, WebFixture.AdminPassword, new { kind = "reject", value = "12.5", domain = "nosuch.test" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("no domain nosuch.test", (string?)body!["error"]);
        (_, body) = await SendAsync(HttpMethod.Get, "/api/spam?domain=example.test", WebFixture.Admin, WebFixture.AdminPassword);
        Assert.Equal(12.5, (double)body!["reject"]!);
        Assert.Contains("12.5", await _app.OutputAsync("spam show --domain example.test"), StringComparison.Ordinal);
    }
}
