using MailAppliance.Configuration;
using MailAppliance.Smtp.Client;
using MailAppliance.Smtp.Client.Destinations;
using Microsoft.Extensions.Configuration;

namespace MailAppliance.Tests.Configuration;

public class DeliveryRoutingOptionsTests
{
    private static DeliveryRouting Read(params (string Key, string? Value)[] values) =>
        OptionsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build()).DeliveryRouting;

    private static string Fails(params (string Key, string? Value)[] values) =>
        Assert.Throws<ConfigurationException>(() => Read(values)).Message;

    [Fact]
    public void By_default_every_domain_goes_by_mx_to_port_25()
    {
        var routing = Read();
        Assert.Equal(25, routing.Port);
        Assert.Same(DeliveryRoute.Mx, routing.RouteFor("example.org"));
    }

    [Fact]
    public void Routes_map_domains_parents_and_the_wildcard_to_mx_or_a_smarthost()
    {
        var routing = Read(
            ("Delivery:Port", "2525"),
            ("Delivery:Routes:*", "[relay.example.net]:587"),
            ("Delivery:Routes:example.org", "mx"),
            ("Delivery:Routes:.corp.example", "[192.0.2.10]"),
            ("Delivery:Routes:v6.example", "[::1]:2526"));
        Assert.Equal(2525, routing.Port);
        Assert.Same(DeliveryRoute.Mx, routing.RouteFor("Example.ORG."));
        Assert.Equal(new DeliveryRoute.SmarthostRoute("relay.example.net", 587), routing.RouteFor("gmail.test"));
        Assert.Equal(new DeliveryRoute.SmarthostRoute("192.0.2.10", null), routing.RouteFor("a.b.corp.example"));
        Assert.Equal(new DeliveryRoute.SmarthostRoute("relay.example.net", 587), routing.RouteFor("corp.example"));
        Assert.Equal(new DeliveryRoute.SmarthostRoute("::1", 2526), routing.RouteFor("v6.example"));
    }

    [Fact]
    public void Smarthost_credentials_come_with_a_password_or_a_password_file()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "from the file\nignored second line\n");
        try
        {
            var routing = Read(
                ("Delivery:Routes:*", "[relay.example.net]:587"),
                ("Delivery:Smarthosts:relay.example.net:UserName", "appliance"),
                ("Delivery:Smarthosts:relay.example.net:PasswordFile", file),
                ("Delivery:Smarthosts:relay.example.net:Tls", "verify"),
                ("Delivery:Smarthosts:other.example:UserName", "u"),
                ("Delivery:Smarthosts:other.example:Password", "p"));
            var relay = routing.SmarthostFor("relay.example.net");
            Assert.Equal(new SmtpCredentials("appliance", "from the file"), relay.Credentials);
            Assert.Equal("verify:relay.example.net", relay.Tls.Describe());
            Assert.Equal("p", routing.SmarthostFor("OTHER.example").Credentials!.Password);
            Assert.Same(TlsPolicy.Opportunistic, routing.SmarthostFor("other.example").Tls);
            Assert.Null(routing.SmarthostFor("unknown.example").Credentials);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("Delivery:Port", "0", "Delivery:Port")]
    [InlineData("Delivery:Routes:example.org", "relay.example.net:25", "Delivery:Routes:example.org")]
    [InlineData("Delivery:Routes:example.org", "[relay.example.net]:99999", "no valid port")]
    [InlineData("Delivery:Routes:example.org", "[bad_host!]", "neither a host name")]
    [InlineData("Delivery:Routes:not a domain", "mx", "Delivery:Routes:not a domain")]
    [InlineData("Delivery:Smarthosts:relay.example.net:Tls", "always", "Delivery:Smarthosts:relay.example.net:Tls")]
    [InlineData("Delivery:Smarthosts:relay.example.net:UserName", "only-a-user", "go together")]
    [InlineData("Delivery:Smarthosts:relay.example.net:PasswordFile", "/nonexistent/pass", "does not exist")]
    public void A_bad_value_is_refused_with_its_key(string key, string value, string message) =>
        Assert.Contains(message, Fails((key, value)), StringComparison.Ordinal);
}
