using System.Net;
using System.Text;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Testing.Dns;

namespace MailAppliance.Pipeline.Tests.Authentication;

/// <summary>DMARC (RFC 7489) against a loopback DNS server: discovery, alignment, policy, pct, errors.</summary>
public sealed class DmarcTests : IAsyncLifetime
{
    private static readonly PublicSuffixList Suffixes = PublicSuffixList.Load();

    private LoopbackDnsServer _dns = null!;
    private DnsResolver _resolver = null!;
    private int _sample;

    public Task InitializeAsync()
    {
        _dns = LoopbackDnsServer.Start();
        _resolver = new DnsResolver(new DnsResolverOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(2), Attempts = 1 });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    private DmarcVerifier Dmarc => new(_resolver, Suffixes, () => _sample);

    private static SpfResult Spf(SpfResultCode code, string domain) => new(code, SpfIdentity.MailFrom, domain, "x@" + domain);

    private static DkimResult Dkim(DkimResultCode code, string domain) => new(code, domain, "s1", "rsa-sha256");

    [Fact]
    public async Task Relaxed_alignment_passes_on_a_subdomain_signature()
    {
        _dns.Txt("_dmarc.example.co.uk", "v=DMARC1; p=reject; rua=mailto:d@example.co.uk");

        var result = await Dmarc.EvaluateAsync("example.co.uk", Spf(SpfResultCode.Fail, "bounce.other.test"), [Dkim(DkimResultCode.Pass, "mail.example.co.uk")]);
        Assert.Equal(DmarcResultCode.Pass, result.Code);
        Assert.True(result.DkimAligned);
        Assert.False(result.SpfAligned);
        Assert.Equal(DmarcPolicy.Reject, result.Policy);
        Assert.Equal(DmarcPolicy.None, result.Disposition);
        Assert.Equal("example.co.uk", result.PolicyDomain);
    }

    [Fact]
    public async Task Strict_alignment_wants_the_same_domain()
    {
        _dns.Txt("_dmarc.strict.test", "v=DMARC1; p=quarantine; adkim=s; aspf=s");

        var result = await Dmarc.EvaluateAsync("strict.test", Spf(SpfResultCode.Pass, "mail.strict.test"), [Dkim(DkimResultCode.Pass, "mail.strict.test")]);
        Assert.Equal(DmarcResultCode.Fail, result.Code);
        Assert.Equal(DmarcPolicy.Quarantine, result.Disposition);

        var exact = await Dmarc.EvaluateAsync("strict.test", Spf(SpfResultCode.Pass, "strict.test"), []);
        Assert.Equal(DmarcResultCode.Pass, exact.Code);
        Assert.True(exact.SpfAligned);
    }

    [Fact]
    public async Task A_subdomain_without_a_record_uses_the_organisational_domain_and_sp()
    {
        _dns.Txt("_dmarc.org.test", "v=DMARC1; p=reject; sp=quarantine");

        var result = await Dmarc.EvaluateAsync("news.org.test", Spf(SpfResultCode.SoftFail, "news.org.test"), []);
        Assert.Equal(DmarcResultCode.Fail, result.Code);
        Assert.Equal("org.test", result.PolicyDomain);
        Assert.Equal(DmarcPolicy.Quarantine, result.Policy);
        Assert.Equal(1, _dns.CountQueries("_dmarc.news.org.test"));

        var apex = await Dmarc.EvaluateAsync("org.test", Spf(SpfResultCode.Fail, "org.test"), []);
        Assert.Equal(DmarcPolicy.Reject, apex.Disposition);
    }

    [Fact]
    public async Task Pct_samples_which_failures_get_the_policy()
    {
        _dns.Txt("_dmarc.pct.test", "v=DMARC1; p=reject; pct=25");

        _sample = 10;
        Assert.Equal(DmarcPolicy.Reject, (await Dmarc.EvaluateAsync("pct.test", null, [])).Disposition);
        _sample = 60;
        var spared = await Dmarc.EvaluateAsync("pct.test", null, []);
        Assert.Equal(DmarcResultCode.Fail, spared.Code);
        Assert.Equal(DmarcPolicy.Quarantine, spared.Disposition);
        Assert.Equal(25, spared.Percent);
    }

    [Fact]
    public async Task No_record_is_none_and_DNS_trouble_is_temperror()
    {
        Assert.Equal(DmarcResultCode.None, (await Dmarc.EvaluateAsync("norecord.test", null, [])).Code);

        _dns.ServFail("_dmarc.broken.test");
        Assert.Equal(DmarcResultCode.TempError, (await Dmarc.EvaluateAsync("broken.test", null, [])).Code);

        // A DKIM key that could not be fetched for an aligned domain: wait, do not reject.
        _dns.Txt("_dmarc.tempkey.test", "v=DMARC1; p=reject");
        var waiting = await Dmarc.EvaluateAsync("tempkey.test", Spf(SpfResultCode.Fail, "tempkey.test"), [Dkim(DkimResultCode.TempError, "tempkey.test")]);
        Assert.Equal(DmarcResultCode.TempError, waiting.Code);
        Assert.Equal(DmarcPolicy.None, waiting.Disposition);
    }

    [Fact]
    public async Task Bad_and_multiple_records()
    {
        _dns.Txt("_dmarc.twice.test", "v=DMARC1; p=reject").Txt("_dmarc.twice.test", "v=DMARC1; p=none")
            .Txt("_dmarc.nop.test", "v=DMARC1; p=bogus")
            .Txt("_dmarc.noprua.test", "v=DMARC1; p=bogus; rua=mailto:r@noprua.test")
            .Txt("_dmarc.notfirst.test", "p=reject; v=DMARC1")
            .Txt("_dmarc.other.test", "v=spf1 -all");

        Assert.Equal(DmarcResultCode.None, (await Dmarc.EvaluateAsync("twice.test", null, [])).Code);
        Assert.Equal(DmarcResultCode.PermError, (await Dmarc.EvaluateAsync("nop.test", null, [])).Code);
        var asNone = await Dmarc.EvaluateAsync("noprua.test", null, []);
        Assert.Equal(DmarcResultCode.Fail, asNone.Code);
        Assert.Equal(DmarcPolicy.None, asNone.Disposition);
        Assert.Equal(DmarcResultCode.None, (await Dmarc.EvaluateAsync("notfirst.test", null, [])).Code);
        Assert.Equal(DmarcResultCode.None, (await Dmarc.EvaluateAsync("other.test", null, [])).Code);
    }

    [Fact]
    public async Task The_message_authenticator_puts_it_together_from_a_spool_file()
    {
        var pair = DkimKeys.Generate(DkimKeyAlgorithm.Ed25519);
        _dns.Txt("s1._domainkey.shop.test", pair.PublicKeyRecord).Txt("_dmarc.shop.test", "v=DMARC1; p=reject")
            .Txt("shop.test", "v=spf1 ip4:192.0.2.0/24 -all");
        var key = new DkimSigningKey("shop.test", "s1", DkimKeyAlgorithm.Ed25519, DkimKeys.ReadPrivateKey(pair.PrivateKeyPem).Key);
        var message = TestMessages.Awkward(from: "Shop <orders@shop.test>");
        var signed = Encoding.ASCII.GetBytes(await new DkimMessageSigner().SignAsync(new MemoryStream(message), [key])).Concat(message).ToArray();
        var file = Path.Combine(Path.GetTempPath(), $"ma-auth-{Guid.NewGuid():N}.eml");
        await File.WriteAllBytesAsync(file, [.. "ENVELOPE LINE\n"u8, .. signed]);
        try
        {
            var authenticator = new MessageAuthenticator(_resolver, Suffixes);
            var spf = await authenticator.Spf.CheckMailFromAsync(IPAddress.Parse("198.51.100.7"), "bounces@shop.test", "client.test");
            await using var stream = File.OpenRead(file);
            stream.Position = "ENVELOPE LINE\n".Length;
            var report = await authenticator.AuthenticateAsync(stream, spf);

            Assert.Equal(SpfResultCode.Fail, report.Spf!.Code);
            Assert.Equal(DkimResultCode.Pass, Assert.Single(report.Dkim).Code);
            Assert.Equal(DmarcResultCode.Pass, report.Dmarc.Code);
            Assert.Equal("shop.test", report.FromDomain);

            var header = AuthenticationResultsHeader.Format("mx.receiver.test", report);
            Assert.StartsWith("Authentication-Results: mx.receiver.test;\r\n\tspf=fail smtp.mailfrom=bounces@shop.test;\r\n\tdkim=pass header.d=shop.test header.s=s1 header.a=ed25519-sha256 header.b=", header, StringComparison.Ordinal);
            Assert.EndsWith(";\r\n\tdmarc=pass (p=reject dis=none) header.from=shop.test;\r\n\tarc=none\r\n", header, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Several_From_fields_are_a_permerror()
    {
        var message = Encoding.ASCII.GetBytes("From: a@one.test\r\nFrom: b@two.test\r\nSubject: x\r\n\r\nbody\r\n");
        var report = await new MessageAuthenticator(_resolver, Suffixes).AuthenticateAsync(new MemoryStream(message), null);
        Assert.Equal(DmarcResultCode.PermError, report.Dmarc.Code);
        Assert.Contains("dmarc=permerror", AuthenticationResultsHeader.Format("mx.test", report), StringComparison.Ordinal);
    }
}
