using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace MailAppliance.Web.Tests;

/// <summary>
/// Debian's chromium driven by its own chromedriver (same version, both from apt: no browser or driver download),
/// headless. Screenshots go to <c>TestResults/screenshots/</c> beside the test assembly as artifacts.
/// </summary>
public sealed class Browser : IDisposable
{
    private readonly ChromeDriver _driver;
    private readonly string _baseUrl;

    public Browser(string baseUrl)
    {
        _baseUrl = baseUrl;
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900", "--no-first-run",
            "--user-data-dir=" + Path.Combine(Path.GetTempPath(), "mailappliance-chromium-" + Guid.NewGuid().ToString("N")));
        _driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public IWebDriver Driver => _driver;

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public void Open(string path) => _driver.Navigate().GoToUrl(_baseUrl + path);

    public string Path_ => new Uri(_driver.Url).PathAndQuery;

    public IWebElement Find(string css) => _driver.FindElement(By.CssSelector(css));

    public IReadOnlyList<IWebElement> FindAll(string css) => _driver.FindElements(By.CssSelector(css));

    /// <summary>Waits (up to <paramref name="seconds"/>) for a condition of the page.</summary>
    public T Wait<T>(Func<IWebDriver, T> condition, int seconds = 10)
    {
        try
        {
            return new WebDriverWait(_driver, TimeSpan.FromSeconds(seconds)).Until(condition);
        }
        catch (WebDriverTimeoutException e)
        {
            var page = _driver.PageSource;
            throw new WebDriverTimeoutException($"{e.Message} at {_driver.Url}: {(page.Length > 3000 ? page[..3000] : page)}", e);
        }
    }

    /// <summary>Clicks a form's button and waits for the page it leads to (the old page's elements gone), so what is
    /// read next (<c>#done</c>, <c>#failed</c>) is the new page's, never the previous one's.</summary>
    public void Submit(string css)
    {
        var page = _driver.FindElement(By.TagName("html"));
        Find(css).Click();
        Wait(driver =>
        {
            try
            {
                _ = page.Enabled;
                return false;
            }
            catch (StaleElementReferenceException)
            {
                return true;
            }
            catch (UnknownErrorException e) when (e.Message.Contains("does not belong to the document", StringComparison.Ordinal))
            {
                // Chromium's word for the same, when it asks the old page's node while the new page replaces it
                // (CI failed a vacation test on it once).
                return true;
            }
        });
    }

    public void LogIn(string user, string password)
    {
        Open("/login");
        Find("#username").SendKeys(user);
        Find("#password").SendKeys(password);
        Find("#submit").Click();
    }

    public string Screenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var file = System.IO.Path.Combine(ScreenshotDirectory, name + ".png");
        _driver.GetScreenshot().SaveAsFile(file);
        return file;
    }

    public void Dispose()
    {
        _driver.Quit();
        _driver.Dispose();
    }
}
