using MailAppliance.Storage.Durability;
using System.Net;
using MailAppliance.Configuration;
using Microsoft.Extensions.Configuration;

namespace MailAppliance.Tests.Configuration;

public class OptionsReaderTests
{
    private static ApplianceOptions Read(params (string Key, string? Value)[] values) =>
        OptionsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    private static string Fails(params (string Key, string? Value)[] values) =>
        Assert.Throws<ConfigurationException>(() => Read(values)).Message;

    [Fact]
    public void Defaults_follow_the_design()
    {
        var options = Read();
        Assert.Equal("/var/lib/mailappliance", options.Storage.DataDirectory);
        Assert.Null(options.MetadataConnectionString);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 25), Assert.Single(options.Listeners.Smtp));
        Assert.Equal(587, Assert.Single(options.Listeners.Submission).Port);
        Assert.Equal(465, Assert.Single(options.Listeners.Submissions).Port);
        Assert.Equal(143, Assert.Single(options.Listeners.Imap).Port);
        Assert.Equal(993, Assert.Single(options.Listeners.Imaps).Port);
        Assert.Equal(110, Assert.Single(options.Listeners.Pop3).Port);
        Assert.Equal(995, Assert.Single(options.Listeners.Pop3s).Port);
        Assert.Equal(4190, Assert.Single(options.Listeners.ManageSieve).Port);
        Assert.False(options.Auth.AllowPlaintextWithoutTls);
        Assert.Equal(50L * 1024 * 1024, options.Smtp.MaxMessageSize);
        Assert.Equal(100, options.Smtp.MaxRecipients);
        Assert.Empty(options.Smtp.TrustedNetworks);
        Assert.False(string.IsNullOrEmpty(options.Hostname));
        Assert.Equal(MailAppliance.Storage.Durability.SyncMode.Auto, options.Storage.SyncMode);
    }

    [Theory]
    [InlineData("syncfs", MailAppliance.Storage.Durability.SyncMode.SyncFs)]
    [InlineData("Fsync", MailAppliance.Storage.Durability.SyncMode.Fsync)]
    [InlineData("AUTO", MailAppliance.Storage.Durability.SyncMode.Auto)]
    public void Sync_mode_is_read_without_regard_to_case(string value, MailAppliance.Storage.Durability.SyncMode mode) =>
        Assert.Equal(mode, Read(("Storage:SyncMode", value)).Storage.SyncMode);

    [Fact]
    public void Listeners_take_host_port_lists_and_empty_disables()
    {
        var options = Read(("Listeners:Imap", "127.0.0.1:2143, [::1]:2143"), ("Listeners:Pop3", ""), ("Listeners:Smtp", "*:2525"));
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 2143), new IPEndPoint(IPAddress.IPv6Loopback, 2143)], options.Listeners.Imap);
        Assert.Empty(options.Listeners.Pop3);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 2525), Assert.Single(options.Listeners.Smtp));
    }

    [Theory]
    [InlineData("Listeners:Imap", "imap.example:143")]
    [InlineData("Listeners:Imap", "127.0.0.1")]
    [InlineData("Listeners:Smtp", "127.0.0.1:0")]
    [InlineData("Listeners:Submission", "127.0.0.1:70000")]
    [InlineData("Listeners:Pop3s", "::1:995")]
    [InlineData("Auth:AllowPlaintextWithoutTls", "yes")]
    [InlineData("Auth:Pbkdf2Iterations", "10")]
    [InlineData("Smtp:MaxMessageSize", "huge")]
    [InlineData("Smtp:MaxMessageSize", "10")]
    [InlineData("Smtp:MaxRecipients", "0")]
    [InlineData("Smtp:MaxRecipients", "-5")]
    [InlineData("Smtp:TrustedNetworks", "10.0.0.0/33")]
    [InlineData("Smtp:TrustedNetworks", "not-a-network")]
    [InlineData("Smtp:MaxConnections", "0")]
    [InlineData("Smtp:MaxConnectionsPerIp", "lots")]
    [InlineData("Smtp:CommandTimeoutSeconds", "-1")]
    [InlineData("Smtp:DataTimeoutSeconds", "0")]
    [InlineData("Smtp:MaxErrors", "0")]
    [InlineData("Hostname", "bad host name")]
    [InlineData("Logging:Level", "Chatty")]
    [InlineData("Storage:PostgresBinDirectory", "/nonexistent/pg/bin")]
    [InlineData("Storage:SyncMode", "sometimes")]
    [InlineData("Storage:SyncMode", "2")]
    [InlineData("Dns:Servers", "localhost")]
    [InlineData("Dns:Servers", "127.0.0.1:99999")]
    public void An_invalid_value_names_its_key_in_one_line(string key, string value)
    {
        var message = Fails((key, value));
        Assert.StartsWith($"invalid configuration: {key}: ", message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Certificate_and_key_go_together()
    {
        var file = Path.GetTempFileName();
        try
        {
            Assert.Contains("Tls:KeyFile", Fails(("Tls:CertificateFile", file)), StringComparison.Ordinal);
            Assert.StartsWith("invalid configuration: Tls:CertificateFile: file '/nonexistent/cert.pem' does not exist",
                Fails(("Tls:CertificateFile", "/nonexistent/cert.pem"), ("Tls:KeyFile", file)), StringComparison.Ordinal);
            Assert.StartsWith("invalid configuration: Tls:KeyFile: file '/nonexistent/key.pem' does not exist",
                Fails(("Tls:CertificateFile", file), ("Tls:KeyFile", "/nonexistent/key.pem")), StringComparison.Ordinal);
            var options = Read(("Tls:CertificateFile", file), ("Tls:KeyFile", file));
            Assert.Equal(file, options.Tls.CertificateFile);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Trusted_networks_come_as_an_array_or_a_list()
    {
        var fromArray = Read(("Smtp:TrustedNetworks:0", "192.0.2.0/24"), ("Smtp:TrustedNetworks:1", "2001:db8::/32"));
        Assert.Equal(2, fromArray.Smtp.TrustedNetworks.Count);
        var fromString = Read(("Smtp:TrustedNetworks", "192.0.2.0/24, 198.51.100.7"));
        Assert.Equal(2, fromString.Smtp.TrustedNetworks.Count);
        Assert.True(fromString.Smtp.TrustedNetworks[1].Contains(IPAddress.Parse("198.51.100.7")));
        Assert.False(fromString.Smtp.TrustedNetworks[1].Contains(IPAddress.Parse("198.51.100.8")));
    }

    [Fact]
    public void Dns_servers_come_as_an_array_or_a_list()
    {
        Assert.Empty(Read().Dns.Servers);
        var fromArray = Read(("Dns:Servers:0", "127.0.0.1:5353"), ("Dns:Servers:1", "::1"));
        Assert.Equal(["127.0.0.1:5353", "[::1]:53"], fromArray.Dns.Servers.Select(s => s.ToString()));
        var fromString = Read(("Dns:Servers", "192.0.2.53, [2001:db8::53]:5353 198.51.100.53:53"));
        Assert.Equal(["192.0.2.53:53", "[2001:db8::53]:5353", "198.51.100.53:53"], fromString.Dns.Servers.Select(s => s.ToString()));
        var both = Read(("Dns:Servers", "192.0.2.1"), ("Dns:Servers:0", "192.0.2.2"));
        Assert.Equal("192.0.2.2:53", Assert.Single(both.Dns.Servers).ToString());
    }

    [Fact]
    public void Sizes_accept_units()
    {
        Assert.Equal(25L * 1024 * 1024, Read(("Smtp:MaxMessageSize", "25M")).Smtp.MaxMessageSize);
    }

    [Fact]
    public void A_relative_data_directory_becomes_absolute()
    {
        Assert.True(Path.IsPathFullyQualified(Read(("Storage:DataDirectory", "data")).Storage.DataDirectory));
    }

    [Fact]
    public void Srs_defaults_to_the_hostname_the_data_directory_and_21_days()
    {
        var options = Read(("Hostname", "mx.example.test"), ("Storage:DataDirectory", "/srv/mail"));
        Assert.Equal(new MailAppliance.Pipeline.Srs.SrsOptions("mx.example.test", "/srv/mail/srs.secret", 21), options.Srs);
        var set = Read(("Hostname", "mx.example.test"), ("Srs:Domain", "srs.example.test"), ("Srs:SecretFile", "/etc/postsrsd.secret"), ("Srs:MaxAgeDays", "7"));
        Assert.Equal(new MailAppliance.Pipeline.Srs.SrsOptions("srs.example.test", "/etc/postsrsd.secret", 7), set.Srs);
    }

    [Theory]
    [InlineData("Srs:Domain", "not a domain")]
    [InlineData("Srs:MaxAgeDays", "0")]
    public void Bad_srs_values_name_their_key(string key, string value) =>
        Assert.Contains(key, Fails((key, value)), StringComparison.Ordinal);

    [Fact]
    public void Spam_keys_have_their_defaults_and_forms()
    {
        var defaults = Read().Spam;
        Assert.Equal((5.0, 15.0, 2L * 1024 * 1024, TimeSpan.FromSeconds(10)), (defaults.TagThreshold, defaults.RejectThreshold, defaults.MaxScanSize, defaults.TimeBudget));
        Assert.Empty(defaults.DnsLists);
        Assert.Null(defaults.Clamd);

        var set = Read(("Spam:TagThreshold", "6.5"), ("Spam:MaxScanSize", "512K"), ("Spam:TimeBudget", "2s"), ("Spam:Clamd", "/run/clamav/clamd.ctl"),
            ("Spam:Dnsbl", "zen.spamhaus.org=3.5, list.dnswl.org=-2 uri:multi.uribl.com"));
        Assert.Equal(6.5, set.Spam.TagThreshold);
        Assert.Equal(512 * 1024, set.Spam.MaxScanSize);
        Assert.Equal(TimeSpan.FromSeconds(2), set.Spam.TimeBudget);
        Assert.Equal([new("zen.spamhaus.org", 3.5, false), new("list.dnswl.org", -2, false), new MailAppliance.Pipeline.Scoring.DnsList("multi.uribl.com", 2, true)], set.Spam.DnsLists);
        Assert.Equal(2, Read(("Spam:Dnsbl:0", "a.test"), ("Spam:Dnsbl:1", "uri:b.test=1")).Spam.DnsLists.Count);
    }

    [Theory]
    [InlineData("Spam:TagThreshold", "high")]
    [InlineData("Spam:TimeBudget", "10")]
    [InlineData("Spam:Dnsbl", "zen.spamhaus.org=x")]
    [InlineData("Spam:Clamd", "clamd")]
    [InlineData("Spam:RulesFile", "/nonexistent/local.cf")]
    public void Bad_spam_values_name_their_key(string key, string value) =>
        Assert.Contains(key, Fails((key, value)), StringComparison.Ordinal);
}
