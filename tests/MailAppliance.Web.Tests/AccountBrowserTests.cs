using System.Globalization;
using System.Net;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Database;
using MailAppliance.Testing;
using OpenQA.Selenium;

namespace MailAppliance.Web.Tests;

/// <summary>
/// A user's own pages in a real browser: their Junk decisions, spam thresholds and lists, forward with each
/// destination's policy, and vacation with an end date. Each change is checked through the CLI (what the console
/// changed, <c>spam show</c>, <c>user forward</c> and <c>sieve get</c> see), and a user reaches nobody else's settings.
/// </summary>
public sealed class AccountBrowserTests : IClassFixture<AccountFixture>
{
    private readonly AccountFixture _app;

    public AccountBrowserTests(AccountFixture app) => _app = app;

    private Browser LogIn(string address)
    {
        var browser = new Browser(_app.BaseUrl);
        browser.LogIn(address, address[..address.IndexOf('@', StringComparison.Ordinal)] + "pw");
        browser.Wait(d => new Uri(d.Url).AbsolutePath == "/reports");
        return browser;
    }

    private static string Done(Browser browser) => browser.Wait(d => d.FindElement(By.Id("done"))).Text;

    private static string Failed(Browser browser) => browser.Wait(d => d.FindElement(By.Id("failed"))).Text;

    [Fact]
    public async Task A_user_sets_their_own_spam_threshold_and_lists_that_the_cli_then_shows()
    {
        var user = await _app.NewUserAsync("jack");
        await _app.Ok("spam block other@spam.test --user alice@example.test");
        await _app.Ok("spam allow partner.test --domain example.test");
        using var browser = LogIn(user);

        browser.Open("/account/spam");
        Assert.Equal("5.0", browser.Find("#thresholds tr[data-threshold='tag'] .applies").Text);
        Assert.Equal("configuration", browser.Find("#thresholds tr[data-threshold='tag'] .from").Text);
        browser.Find("#threshold-value").SendKeys("3.5");
        browser.Submit("#set-threshold button");
        Assert.Contains("tag threshold 3.5 for you", Done(browser), StringComparison.Ordinal);
        Assert.Equal("3.5", browser.Find("#thresholds tr[data-threshold='tag'] .yours").Text);
        Assert.Equal("you", browser.Find("#thresholds tr[data-threshold='tag'] .from").Text);

        // The CLI's rule for a threshold, in the form: not a number is refused with the CLI's words.
        browser.Find("#threshold-value").SendKeys("abc");
        browser.Submit("#set-threshold button");
        Assert.Contains("'abc' is not a number", Failed(browser), StringComparison.Ordinal);

        browser.Find("#list-kind option:nth-child(2)").Click();
        browser.Find("#list-entry").SendKeys("Bad@Spam.Example");
        browser.Submit("#add-entry button");
        Assert.Contains("block bad@spam.example for you", Done(browser), StringComparison.Ordinal);
        browser.Find("#list-entry").SendKeys("not an address@");
        browser.Submit("#add-entry button");
        Assert.NotEmpty(Failed(browser));

        // Their own entry, their domain's (inherited, no remove button), and nobody else's.
        Assert.Equal("block", browser.Find("#lists tr.own[data-entry='bad@spam.example'] .list").Text);
        Assert.NotNull(browser.Find("#lists tr.inherited[data-entry='partner.test']"));
        Assert.Empty(browser.FindAll("#lists tr.inherited[data-entry='partner.test'] button"));
        Assert.DoesNotContain("other@spam.test", browser.Find("#lists").Text, StringComparison.Ordinal);
        browser.Screenshot("account-spam");

        var mine = await _app.OutputAsync($"spam show --user {user}");
        Assert.Contains("3.5", mine, StringComparison.Ordinal);
        Assert.Contains("bad@spam.example", mine, StringComparison.Ordinal);
        Assert.DoesNotContain("bad@spam.example", await _app.OutputAsync("spam show --user alice@example.test"), StringComparison.Ordinal);
        Assert.DoesNotContain("3.5", await _app.OutputAsync("spam show"), StringComparison.Ordinal);

        // Removing it and going back to the default, as spam show then sees.
        browser.Submit("#lists tr.own[data-entry='bad@spam.example'] button");
        Assert.Contains("removed bad@spam.example", Done(browser), StringComparison.Ordinal);
        browser.Submit("#clear-tag");
        Assert.Contains("your own setting removed", Done(browser), StringComparison.Ordinal);
        Assert.Equal("-", browser.Find("#thresholds tr[data-threshold='tag'] .yours").Text);
        mine = await _app.OutputAsync($"spam show --user {user}");
        Assert.DoesNotContain("bad@spam.example", mine, StringComparison.Ordinal);
        Assert.DoesNotContain("3.5", mine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Account_changes_need_a_login_and_the_csrf_token_and_touch_only_the_viewer()
    {
        var user = await _app.NewUserAsync("kate");
        using var browser = LogIn(user);
        browser.Open("/account/spam");
        var csrf = browser.Find("#add-entry input[name='csrf']").GetAttribute("value")!;

        // No session: sent to log in. A session without the form's token: refused.
        Assert.Equal(HttpStatusCode.Redirect, await _app.PostAsync(browser, "/account/spam/list", new() { ["list"] = "block", ["entry"] = "x.test", ["csrf"] = csrf }, withSession: false));
        Assert.Equal(HttpStatusCode.BadRequest, await _app.PostAsync(browser, "/account/spam/list", new() { ["list"] = "block", ["entry"] = "x.test" }));

        // Naming someone else changes nothing of theirs: the form has no such field, the viewer's own settings change.
        Assert.Equal(HttpStatusCode.Redirect, await _app.PostAsync(browser, "/account/spam/list",
            new() { ["list"] = "block", ["entry"] = "kates-block.test", ["user"] = "alice@example.test", ["scope"] = "alice@example.test", ["csrf"] = csrf }));
        Assert.Contains("kates-block.test", await _app.OutputAsync($"spam show --user {user}"), StringComparison.Ordinal);
        Assert.DoesNotContain("kates-block.test", await _app.OutputAsync("spam show --user alice@example.test"), StringComparison.Ordinal);

        // The admin's forms are not theirs, even with a valid token.
        Assert.Equal(HttpStatusCode.Forbidden, await _app.PostAsync(browser, "/admin/spam/threshold",
            new() { ["kind"] = "tag", ["value"] = "1.25", ["scope"] = "", ["csrf"] = csrf }));
        Assert.Equal(HttpStatusCode.Forbidden, await _app.PostAsync(browser, "/admin/spam/list",
            new() { ["list"] = "allow", ["entry"] = "kate.test", ["scope"] = "", ["csrf"] = csrf }));
        var global = await _app.OutputAsync("spam show");
        Assert.DoesNotContain("1.25", global, StringComparison.Ordinal);
        Assert.DoesNotContain("kate.test", global, StringComparison.Ordinal);
        browser.Open("/admin/spam");
        Assert.NotNull(browser.Find("#forbidden"));
    }

    [Fact]
    public async Task A_user_sees_their_junk_decisions_with_scores_and_rules()
    {
        var user = await _app.NewUserAsync("liam");
        var junk = await _app.SendAsync("spammer@sender.test", user, "score seven");
        var ham = await _app.SendAsync("friend@sender.test", user, "lunch on friday");
        var notTheirs = await _app.SendAsync("spammer@sender.test", "alice@example.test", "score seven");
        using var browser = LogIn(user);

        browser.Open("/account/junk");
        var row = browser.Wait(d =>
        {
            d.Navigate().Refresh();
            return d.FindElements(By.CssSelector("#junk tbody tr")).FirstOrDefault(r => r.Text.Contains(junk, StringComparison.Ordinal));
        }, 20)!;
        Assert.Equal("into Junk", row.FindElement(By.CssSelector(".decision")).Text);
        Assert.True(double.Parse(row.FindElement(By.CssSelector(".score")).Text, CultureInfo.InvariantCulture) >= 7.0);
        Assert.Contains("SCORE_SEVEN", row.FindElement(By.CssSelector(".rules")).Text, StringComparison.Ordinal);
        var table = browser.Find("#junk").Text;
        Assert.DoesNotContain(ham, table, StringComparison.Ordinal);
        Assert.DoesNotContain(notTheirs, table, StringComparison.Ordinal);
        browser.Screenshot("account-junk");

        // Trusting the sender from there puts it on the user's allow list, as spam show sees.
        browser.Submit($"#junk tr[data-id='{row.GetAttribute("data-id")}'] .allow-sender button");
        Assert.Contains("allow spammer@sender.test for you", Done(browser), StringComparison.Ordinal);
        Assert.Contains("spammer@sender.test", await _app.OutputAsync($"spam show --user {user}"), StringComparison.Ordinal);
        Assert.DoesNotContain("spammer@sender.test", await _app.OutputAsync("spam show --user alice@example.test"), StringComparison.Ordinal);

        // The same decision as the report verb lists it.
        var delivered = await _app.OutputAsync($"report delivered --user {user} --json");
        Assert.Contains(junk, delivered, StringComparison.Ordinal);
        Assert.Contains("\"folder\":\"Junk\"", delivered.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_forwards_their_mail_and_sees_each_destinations_policy_and_a_pause()
    {
        var user = await _app.NewUserAsync("mona");
        using var browser = LogIn(user);
        browser.Open("/account/forward");
        Assert.NotNull(browser.Find("#no-forward"));

        browser.Find("#targets").SendKeys(user);
        browser.Submit("#set-forward button");
        Assert.Contains("cannot forward to itself", Failed(browser), StringComparison.Ordinal);

        browser.Find("#targets").Clear();
        browser.Find("#targets").SendKeys("mona@elsewhere.test, mona@mail.strict.test");
        browser.Find("#keep").Click();
        browser.Submit("#set-forward button");
        Assert.Contains("forwards to mona@elsewhere.test, mona@mail.strict.test, keeping a copy", Done(browser), StringComparison.Ordinal);
        Assert.Equal("6.0", browser.Find("#forward tr[data-target='mona@elsewhere.test'] .threshold").Text);
        Assert.Equal("2.0", browser.Find("#forward tr[data-target='mona@mail.strict.test'] .threshold").Text);
        Assert.Contains("Forwarding, keeping a copy", browser.Find("#forward-status").Text, StringComparison.Ordinal);
        Assert.Contains("mona@elsewhere.test, mona@mail.strict.test (keeping a copy)", await _app.OutputAsync($"user forward {user}"), StringComparison.Ordinal);

        // The user's own discard-forward threshold applies where it is lower than the destination's.
        await _app.Ok($"spam threshold discard-forward 4 --user {user}");
        browser.Open("/account/forward");
        Assert.Equal("4.0", browser.Find("#forward tr[data-target='mona@elsewhere.test'] .threshold").Text);
        Assert.Contains("your discard-forward threshold", browser.Find("#forward tr[data-target='mona@elsewhere.test'] .why").Text, StringComparison.Ordinal);
        Assert.Equal("2.0", browser.Find("#forward tr[data-target='mona@mail.strict.test'] .threshold").Text);

        // Refused as spam by the destination (what delivery records): paused, shown with the reason, and resumed.
        await using (var database = StorageDatabase.Create(_app.ConnectionString))
        {
            Assert.True(await new AccountDirectory(database).RecordForwardOutcomeAsync(MailAddress.Parse(user), true, "550 5.7.1 spam refused", 1));
        }

        browser.Open("/account/forward");
        Assert.Contains("550 5.7.1 spam refused", browser.Find("#forward-status").Text, StringComparison.Ordinal);
        browser.Screenshot("account-forward-paused");
        Assert.Contains("paused since", await _app.OutputAsync($"user forward {user}"), StringComparison.Ordinal);
        browser.Submit("#resume-forward");
        Assert.Contains("resumed", Done(browser), StringComparison.Ordinal);
        Assert.DoesNotContain("paused", await _app.OutputAsync($"user forward {user}"), StringComparison.Ordinal);

        browser.Submit("#clear-forward");
        Assert.Contains("cleared", Done(browser), StringComparison.Ordinal);
        Assert.Contains("has no forward", await _app.OutputAsync($"user forward {user}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_sets_a_vacation_with_an_end_date_that_sieve_then_holds()
    {
        var user = await _app.NewUserAsync("nina");
        using var browser = LogIn(user);
        browser.Open("/account/vacation");
        Assert.Equal("No auto-reply.", browser.Find("#vacation-status").Text);

        var today = DateTime.Now.Date;
        var end = today.AddDays(7).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        browser.Find("#vacation-subject").Clear();
        browser.Find("#vacation-subject").SendKeys("Away until the 14th");
        browser.Find("#vacation-body").SendKeys("I am away.\n.dot line kept\nBack soon.");
        SetValue(browser, "#vacation-from", today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        SetValue(browser, "#vacation-until", end);
        SetValue(browser, "#vacation-days", "3");
        browser.Submit("#set-vacation button");
        Assert.Contains($"through {end}, one reply per sender every 3 days", Done(browser), StringComparison.Ordinal);
        Assert.Equal($"Replying now, through {end}.", browser.Find("#vacation-status").Text);
        Assert.Equal(end, browser.Find("#vacation-until").GetAttribute("value"));
        Assert.Equal("I am away.\n.dot line kept\nBack soon.", browser.Find("#vacation-body").GetAttribute("value"));
        browser.Screenshot("account-vacation");

        // What the form set is the user's active sieve script, as vacation set writes it.
        Assert.Contains("vacation", await _app.OutputAsync($"sieve list {user}"), StringComparison.Ordinal);
        var script = await _app.OutputAsync($"sieve get {user}");
        Assert.Contains(":days 3", script, StringComparison.Ordinal);
        Assert.Contains("\"Away until the 14th\"", script, StringComparison.Ordinal);
        Assert.Contains("..dot line kept", script, StringComparison.Ordinal);
        var until = new DateTimeOffset(today.AddDays(8), TimeZoneInfo.Local.GetUtcOffset(today.AddDays(8))).UtcDateTime;
        Assert.Contains($"\"lt\" \"iso8601\" \"{until:yyyy-MM-dd'T'HH:mm:ss}\"", script, StringComparison.Ordinal);

        // The form's rules are the verb's: an end before the start is refused; an end already past is kept with a warning.
        SetValue(browser, "#vacation-from", end);
        SetValue(browser, "#vacation-until", today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        browser.Submit("#set-vacation button");
        Assert.Contains("must be after", Failed(browser), StringComparison.Ordinal);
        SetValue(browser, "#vacation-from", "");
        SetValue(browser, "#vacation-until", today.AddDays(-2).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        browser.Submit("#set-vacation button");
        Assert.Contains("already past", Done(browser), StringComparison.Ordinal);
        Assert.StartsWith("Ended", browser.Find("#vacation-status").Text, StringComparison.Ordinal);

        browser.Submit("#clear-vacation");
        Assert.Contains("vacation cleared", Done(browser), StringComparison.Ordinal);
        Assert.Equal("No auto-reply.", browser.Find("#vacation-status").Text);
        Assert.DoesNotContain("vacation", await _app.OutputAsync($"sieve list {user}"), StringComparison.Ordinal);
    }

    /// <summary>Date inputs take keys in the browser's locale format; the value is set as the form will send it.</summary>
    private static void SetValue(Browser browser, string css, string value) =>
        ((IJavaScriptExecutor)browser.Driver).ExecuteScript("arguments[0].value = arguments[1];", browser.Find(css), value);
}
