using System.Net;
using MailAppliance.Pipeline.Dns;

namespace MailAppliance.Pipeline.Tests.Dns;

public sealed class DnsNamesTests
{
    [Theory]
    [InlineData("192.0.2.1", "1.2.0.192.in-addr.arpa")]
    [InlineData("::ffff:192.0.2.1", "1.2.0.192.in-addr.arpa")]
    [InlineData("2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")]
    public void Reverse_names(string address, string expected) =>
        Assert.Equal(expected, DnsNames.ReverseName(IPAddress.Parse(address)));

    [Fact]
    public void DNSBL_and_URIBL_names()
    {
        // RFC 5782 §2.1: 192.0.2.99 is looked up as 99.2.0.192.<zone>.
        Assert.Equal("99.2.0.192.bl.example.", DnsNames.DnsblName(IPAddress.Parse("192.0.2.99"), "BL.example.") + ".");
        Assert.Equal("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example", DnsNames.DnsblName(IPAddress.Parse("2001:db8::1"), "bl.example"));
        Assert.Equal("spam.example.uribl.example", DnsNames.DomainListName("Spam.Example.", "uribl.example"));
        Assert.Equal("_25._tcp.mx.example", DnsNames.TlsaName(25, "MX.example."));
    }

    [Theory]
    [InlineData("Example.COM.", "example.com")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    public void Names_are_normalised(string name, string expected)
    {
        Assert.True(DnsNames.TryNormalize(name, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("a..b")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example")]
    public void Malformed_names_are_refused(string name) => Assert.False(DnsNames.TryNormalize(name, out _));

    [Fact]
    public void A_name_over_253_characters_is_refused()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 50), 5)) + ".com";
        Assert.True(name.Length > 253);
        Assert.False(DnsNames.TryNormalize(name, out _));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1:53")]
    [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
    [InlineData("::1", "[::1]:53")]
    [InlineData("[::1]:5353", "[::1]:5353")]
    public void Server_addresses(string text, string expected)
    {
        Assert.True(DnsServerAddress.TryParse(text, out var endpoint));
        Assert.Equal(expected, endpoint.ToString());
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("::1:53:x")]
    [InlineData("[127.0.0.1]:53")]
    public void Bad_server_addresses(string text) => Assert.False(DnsServerAddress.TryParse(text, out _));

    [Fact]
    public void Resolv_conf_nameservers()
    {
        var servers = DnsServerAddress.FromResolvConf("""
            # generated
            search example.com
            nameserver 192.0.2.53
            nameserver  2001:db8::53
            ; nameserver 192.0.2.99
            nameserver bogus
            options timeout:2 attempts:3
            """);
        Assert.Equal(["192.0.2.53:53", "[2001:db8::53]:53"], servers.Select(s => s.ToString()));
    }
}
