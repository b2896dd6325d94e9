using System.Net;
using System.Text;
using System.Xml.Linq;

namespace MailAppliance.Web.Tests;

/// <summary>
/// Client autoconfiguration as Thunderbird and Outlook read it: <c>clientConfig</c> 1.1 with the listeners' own ports,
/// implicit TLS first (socketType SSL before STARTTLS), <c>%EMAILADDRESS%</c> and <c>password-cleartext</c>; the POX
/// autodiscover response; the MTA-STS policy (RFC 8461 §3.2).
/// </summary>
public sealed class AutoconfigTests : IClassFixture<WebFixture>
{
    private static readonly XNamespace Outer = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
    private static readonly XNamespace Inner = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";
    private readonly WebFixture _app;

    public AutoconfigTests(WebFixture app) => _app = app;

    [Theory]
    [InlineData("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice%40example.test")]
    [InlineData("/mail/config-v1.1.xml?emailaddress=alice%40example.test")]
    public async Task Thunderbird_gets_every_server_implicit_tls_first(string path)
    {
        var (status, body) = await _app.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, status);
        var config = XDocument.Parse(body).Root!;
        Assert.Equal("clientConfig", config.Name.LocalName);
        Assert.Equal("1.1", (string?)config.Attribute("version"));
        var provider = config.Element("emailProvider")!;
        Assert.Equal("example.test", (string?)provider.Attribute("id"));
        Assert.Equal("example.test", (string?)provider.Element("domain"));
        var incoming = provider.Elements("incomingServer").Select(Server).ToList();
        Assert.Equal(
            [("imap", _app.ImapsPort, "SSL"), ("imap", _app.ImapPort, "STARTTLS"), ("pop3", _app.Pop3sPort, "SSL"), ("pop3", _app.Pop3Port, "STARTTLS")],
            incoming.Select(s => (s.Type, s.Port, s.Socket)).ToList());
        var outgoing = provider.Elements("outgoingServer").Select(Server).ToList();
        Assert.Equal([("smtp", _app.SubmissionsPort, "SSL"), ("smtp", _app.SubmissionPort, "STARTTLS")], outgoing.Select(s => (s.Type, s.Port, s.Socket)).ToList());
        foreach (var server in incoming.Concat(outgoing))
        {
            Assert.Equal("mx.example.test", server.Host);
            Assert.Equal("%EMAILADDRESS%", server.User);
            Assert.Equal("password-cleartext", server.Auth);
        }
    }

    private static (string Type, int Port, string Socket, string Host, string User, string Auth) Server(XElement e) =>
        ((string)e.Attribute("type")!, (int)e.Element("port")!, (string)e.Element("socketType")!, (string)e.Element("hostname")!,
            (string)e.Element("username")!, (string)e.Element("authentication")!);

    [Fact]
    public async Task A_domain_that_is_not_ours_gets_no_configuration()
    {
        var (status, _) = await _app.GetAsync("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=someone%40example.org");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Outlook_autodiscover_answers_a_pox_request()
    {
        const string Request = """
            <?xml version="1.0" encoding="utf-8"?>
            <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
              <Request>
                <EMailAddress>alice@example.test</EMailAddress>
                <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
              </Request>
            </Autodiscover>
            """;
        using var response = await _app.Http.PostAsync("/autodiscover/autodiscover.xml", new StringContent(Request, Encoding.UTF8, "text/xml"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        Assert.Equal(Outer + "Autodiscover", root.Name);
        var account = root.Element(Inner + "Response")!.Element(Inner + "Account")!;
        Assert.Equal("email", (string?)account.Element(Inner + "AccountType"));
        var protocols = account.Elements(Inner + "Protocol").Select(p => ((string)p.Element(Inner + "Type")!, (int)p.Element(Inner + "Port")!, (string)p.Element(Inner + "Encryption")!)).ToList();
        Assert.Equal(("IMAP", _app.ImapsPort, "SSL"), protocols[0]);
        Assert.Contains(("SMTP", _app.SubmissionsPort, "SSL"), protocols);
        Assert.Contains(("SMTP", _app.SubmissionPort, "TLS"), protocols);
        Assert.All(account.Elements(Inner + "Protocol"), p => Assert.Equal("alice@example.test", (string?)p.Element(Inner + "LoginName")));
    }

    [Fact]
    public async Task The_mta_sts_policy_names_the_mx_and_mode()
    {
        var (status, body) = await _app.GetAsync("/.well-known/mta-sts.txt");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("version: STSv1\r\nmode: testing\r\nmx: mx.example.test\r\nmax_age: 604800\r\n", body);
    }
}
