using System.Net;
using OpenQA.Selenium;

namespace MailAppliance.Web.Tests;

/// <summary>
/// The console in a real browser: log in with mail credentials, the admin's live report stream and filters, a
/// message's trail, the queue and directory pages; a user sees only their own mail and gets 403 on admin pages.
/// </summary>
public sealed class ConsoleBrowserTests : IClassFixture<WebFixture>
{
    private readonly WebFixture _app;

    public ConsoleBrowserTests(WebFixture app) => _app = app;

    [Fact]
    public void A_visitor_is_sent_to_the_login_form_and_a_wrong_password_is_refused()
    {
        using var browser = new Browser(_app.BaseUrl);
        browser.Open("/");
        browser.Wait(d => new Uri(d.Url).AbsolutePath == "/login");
        browser.LogIn("alice@example.test", "not-her-password");
        Assert.Contains("Wrong address or password", browser.Wait(d => d.FindElement(By.Id("error"))).Text, StringComparison.Ordinal);
        browser.Screenshot("login-refused");
    }

    [Fact]
    public async Task An_admin_sees_every_event_live_and_follows_a_message_trail()
    {
        await _app.RejectedRecipientAsync("mallory@example.net", "nobody@example.test");
        using var browser = new Browser(_app.BaseUrl);
        browser.LogIn(WebFixture.Admin, WebFixture.AdminPassword);
        browser.Wait(d => new Uri(d.Url).AbsolutePath == "/reports");
        Assert.Contains("(admin)", browser.Find("#who").Text, StringComparison.Ordinal);
        browser.Wait(d => d.FindElements(By.CssSelector("#events tbody tr")).Any(r => r.Text.Contains("nobody@example.test", StringComparison.Ordinal)));
        browser.Wait(d => d.FindElement(By.Id("live")).Text == "live");

        // A message sent while the page is open appears at the top, delivered, without a reload.
        var queueId = await _app.SendAsync("frank@example.net", "alice@example.test", "live in the console");
        var row = browser.Wait(d => d.FindElements(By.CssSelector("#events tbody tr.new"))
            .FirstOrDefault(r => r.Text.Contains(queueId, StringComparison.Ordinal) && r.Text.Contains("delivered", StringComparison.Ordinal)));
        Assert.NotNull(row);
        browser.Screenshot("console-reports");

        // Filters: only rejections.
        browser.Open("/reports?kind=rejected");
        browser.Wait(d => d.FindElements(By.CssSelector("#events tbody tr")).Count > 0);
        Assert.All(browser.FindAll("#events tbody tr td.kind"), k => Assert.Equal("rejected", k.Text));

        // The trail: accepted, then delivered with the folder.
        browser.Open("/trail/" + queueId);
        var steps = browser.Wait(d => d.FindElements(By.CssSelector("#trail li")) is { Count: >= 2 } s ? s : null)!;
        Assert.StartsWith("accepted", steps[0].Text, StringComparison.Ordinal);
        Assert.Contains(steps, s => s.Text.StartsWith("delivered", StringComparison.Ordinal) && s.Text.Contains("folder INBOX", StringComparison.Ordinal));
        browser.Screenshot("console-trail");
    }

    [Fact]
    public async Task An_admin_manages_users_domains_aliases_and_sees_the_queue()
    {
        using var browser = new Browser(_app.BaseUrl);
        browser.LogIn(WebFixture.Admin, WebFixture.AdminPassword);
        browser.Wait(d => new Uri(d.Url).AbsolutePath == "/reports");

        browser.Open("/admin/domains");
        browser.Find("#domain").SendKeys("example.org");
        browser.Submit("#add-domain button");
        Assert.Contains("added domain example.org", browser.Wait(d => d.FindElement(By.Id("done"))).Text, StringComparison.Ordinal);

        browser.Open("/admin/users");
        browser.Find("#address").SendKeys("gina@example.org");
        browser.Find("#new-password").SendKeys("ginapw");
        browser.Submit("#add-user button");
        Assert.Contains("added user gina@example.org", browser.Wait(d => d.FindElement(By.Id("done"))).Text, StringComparison.Ordinal);
        Assert.Contains(browser.FindAll("#users tbody tr"), r => r.Text.Contains("gina@example.org", StringComparison.Ordinal));
        browser.Screenshot("console-users");

        browser.Open("/admin/aliases");
        browser.Find("#alias").SendKeys("team@example.org");
        browser.Find("#targets").SendKeys("gina@example.org, alice@example.test");
        browser.Submit("#add-alias button");
        Assert.Contains("added alias team@example.org", browser.Wait(d => d.FindElement(By.Id("done"))).Text, StringComparison.Ordinal);

        // What the console changed, the CLI sees.
        var aliases = await _app.Cli.RunAsync("alias list --json");
        Assert.Contains("team@example.org", aliases.Output, StringComparison.Ordinal);

        browser.Open("/admin/queue");
        browser.Wait(d => d.FindElement(By.CssSelector("#queue")));
        browser.Screenshot("console-queue");
    }

    [Fact]
    public async Task An_admin_sets_spam_thresholds_and_lists_that_the_cli_then_shows()
    {
        using var browser = new Browser(_app.BaseUrl);
        browser.LogIn(WebFixture.Admin, WebFixture.AdminPassword);
        browser.Wait(d => new Uri(d.Url).AbsolutePath == "/reports");

        browser.Open("/admin/spam");
        Assert.Equal("5.0", browser.Find("#thresholds tr[data-threshold='tag'] .value").Text);
        browser.Find("#threshold-value").SendKeys("4.5");
        browser.Submit("#set-threshold button");
        Assert.Contains("tag threshold 4.5 for global", browser.Wait(d => d.FindElement(By.Id("done"))).Text, StringComparison.Ordinal);
        Assert.Equal("4.5", browser.Find("#thresholds tr[data-threshold='tag'] .value").Text);

        browser.Find("#list-kind option:nth-child(2)").Click();
        browser.Find("#list-entry").SendKeys("spammer.test");
        browser.Find("#list-scope").SendKeys("example.test");
        browser.Submit("#add-entry button");
        Assert.Contains("block spammer.test for domain example.test", browser.Wait(d => d.FindElement(By.Id("done"))).Text, StringComparison.Ordinal);
        browser.Screenshot("console-spam");

        // What the console set, the CLI shows.
        var global = await _app.Cli.RunAsync("spam show");
        Assert.Contains("4.5", global.Output, StringComparison.Ordinal);
        var domain = await _app.Cli.RunAsync("spam show --domain example.test");
        Assert.Contains("spammer.test", domain.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_admin_spam_forms_refuse_exactly_what_the_spam_verbs_refuse()
    {
        using var browser = new Browser(_app.BaseUrl);
        browser.LogIn(WebFixture.Admin, WebFixture.AdminPassword);
        browser.Wait(d => new Uri(d.Url).AbsolutePath == "/reports");

        // In the browser: an invalid threshold is refused with the CLI's message and nothing changes.
        browser.Open("/admin/spam");
        var before = browser.Find("#thresholds tr[data-threshold='reject'] .value").Text;
        browser.Find("#threshold-kind option:nth-child(2)").Click();
        browser.Find("#threshold-value").SendKeys("lots");
        browser.Submit("#set-threshold button");
        Assert.Contains("'lots' is not a number", browser.Wait(d => d.FindElement(By.Id("failed"))).Text, StringComparison.Ordinal);
        Assert.Equal(before, browser.Find("#thresholds tr[data-threshold='reject'] .value").Text);
        browser.Screenshot("console-spam-refused");
        var csrf = browser.Find("#set-threshold input[name='csrf']").GetAttribute("value")!;

        // Every case both ways: the form accepts what `spam threshold` / `spam block` accept and refuses what they refuse.
        foreach (var (kind, value, scope) in new[]
        {
            ("discard-forward", "abc", ""), ("discard-forward", "NaN", ""), ("discard-forward", "1e999", ""), ("discard-forward", "4,5", ""),
            ("discard-forward", "-1.5", ""), ("discard-forward", "7", "example.test"), ("discard-forward", "7", "nosuch.test"),
            ("discard-forward", "7", "nobody@example.test"), ("discard-forward", "7", "alice@example.test"), ("bogus", "7", ""),
        })
        {
            string[] flag = scope.Length == 0 ? [] : [scope.Contains('@', StringComparison.Ordinal) ? "--user" : "--domain", scope];
            var cli = await _app.Cli.RunAsync(["spam", "threshold", kind, value, .. flag]);
            var (status, location) = await _app.PostForAsync(browser, "/admin/spam/threshold", new() { ["kind"] = kind, ["value"] = value, ["scope"] = scope, ["csrf"] = csrf });
            Assert.Equal(HttpStatusCode.Redirect, status);
            Assert.True((cli.ExitCode == 0) == location.Contains("?done=", StringComparison.Ordinal), $"{kind} {value} {scope}: CLI {cli}, console {location}");
        }

        foreach (var (entry, scope) in new[] { ("Bad@Spam.Example", ""), ("spam.example", ""), ("not a domain", ""), ("a@", ""), ("bad..example", ""), ("x.example", "nosuch.test") })
        {
            string[] flag = scope.Length == 0 ? [] : ["--domain", scope];
            var cli = await _app.Cli.RunAsync(["spam", "block", entry, .. flag]);
            var (_, location) = await _app.PostForAsync(browser, "/admin/spam/list", new() { ["list"] = "block", ["entry"] = entry, ["scope"] = scope, ["csrf"] = csrf });
            Assert.True((cli.ExitCode == 0) == location.Contains("?done=", StringComparison.Ordinal), $"{entry} {scope}: CLI {cli}, console {location}");
        }
    }

    [Fact]
    public async Task A_user_sees_only_their_own_mail_and_is_refused_admin_pages()
    {
        await _app.Ok("user add henry@example.test --password-stdin", "henrypw\n");
        var toHenry = await _app.SendAsync("ivan@example.net", "henry@example.test", "for henry");
        var toAlice = await _app.SendAsync("ivan@example.net", "alice@example.test", "not for henry");
        using var browser = new Browser(_app.BaseUrl);
        browser.LogIn("henry@example.test", "henrypw");
        browser.Wait(d => new Uri(d.Url).AbsolutePath == "/reports");
        browser.Wait(d => d.FindElements(By.CssSelector("#events tbody tr")).Any(r => r.Text.Contains(toHenry, StringComparison.Ordinal)));
        Assert.DoesNotContain(browser.FindAll("#events tbody tr"), r => r.Text.Contains(toAlice, StringComparison.Ordinal));
        Assert.Empty(browser.FindAll("header a[href^='/admin/']"));
        browser.Screenshot("console-user-reports");

        browser.Open("/admin/users");
        Assert.NotNull(browser.Find("#forbidden"));
        browser.Open("/admin/spam");
        Assert.NotNull(browser.Find("#forbidden"));
        browser.Open("/trail/" + toAlice);
        Assert.Contains("No such message", browser.Find("main").Text, StringComparison.Ordinal);

        using var api = _app.Request(HttpMethod.Get, "/api/queue", "henry@example.test", "henrypw");
        using var response = await _app.Http.SendAsync(api);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
