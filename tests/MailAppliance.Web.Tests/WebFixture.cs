using System.Net;
using System.Net.Http.Headers;
using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.Web.Tests;

/// <summary>
/// A real <c>serve</c> with its HTTP side on a free loopback port, user alice@example.test (password <c>pw</c>) and
/// admin boss@example.test (password <c>bosspw</c>).
/// </summary>
public class WebFixture : ApplianceFixture
{
    public const string Admin = "boss@example.test";
    public const string AdminPassword = "bosspw";

    public HttpClient Http { get; private set; } = null!;

    public string BaseUrl => $"http://127.0.0.1:{HttpPort}";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Ok($"user add {Admin} --password-stdin --admin", AdminPassword + "\n");
        Http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(BaseUrl) };
    }

    /// <summary>A request with HTTP Basic credentials (the API's script login).</summary>
    public HttpRequestMessage Request(HttpMethod method, string path, string user, string password)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return request;
    }

    /// <summary>Sends one message over SMTP and returns its queue id (the 250 reply names it).</summary>
    public async Task<string> SendAsync(string from, string to, string subject = "hello", string? messageId = null)
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(SmtpPort);
        await smtp.Send("EHLO client.example.net");
        await smtp.Expect("250");
        await smtp.Send($"MAIL FROM:<{from}>");
        await smtp.Expect("250");
        await smtp.Send($"RCPT TO:<{to}>");
        await smtp.Expect("250");
        await smtp.Send("DATA");
        await smtp.Expect("354");
        await smtp.Send($"From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: <{messageId ?? Guid.NewGuid().ToString("N")}@example.net>\r\n\r\nbody\r\n.");
        var reply = await smtp.Expect("250");
        await smtp.Send("QUIT");
        return reply.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1].Trim();
    }

    /// <summary>An RCPT the directory refuses (550 5.1.1): a rejected event.</summary>
    public async Task RejectedRecipientAsync(string from, string to)
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(SmtpPort);
        await smtp.Send("EHLO client.example.net");
        await smtp.Expect("250");
        await smtp.Send($"MAIL FROM:<{from}>");
        await smtp.Expect("250");
        await smtp.Send($"RCPT TO:<{to}>");
        await smtp.Expect("550");
        await smtp.Send("QUIT");
    }

    /// <summary>A POST as the browser's logged-in session would send it (its cookies), with the given form fields.</summary>
    public async Task<HttpStatusCode> PostAsync(Browser browser, string path, Dictionary<string, string> form, bool withSession = true) =>
        (await PostForAsync(browser, path, form, withSession)).Status;

    /// <summary>As <see cref="PostAsync"/>, with where it redirects (a change's outcome is in its <c>?done=</c> or <c>?failed=</c>).</summary>
    public async Task<(HttpStatusCode Status, string Location)> PostForAsync(Browser browser, string path, Dictionary<string, string> form, bool withSession = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        if (withSession)
        {
            request.Headers.Add("Cookie", string.Join("; ", browser.Driver.Manage().Cookies.AllCookies.Select(c => $"{c.Name}={c.Value}")));
        }

        using var response = await Http.SendAsync(request);
        return (response.StatusCode, Uri.UnescapeDataString(response.Headers.Location?.OriginalString ?? ""));
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public override async Task DisposeAsync()
    {
        Http?.Dispose();
        await base.DisposeAsync();
    }
}
