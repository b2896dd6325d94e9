using System.Net;
using System.Security.Cryptography;
using System.Text;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Testing;
using MailAppliance.Testing.Dns;
using MailAppliance.Testing.Peers;
using MimeKit;
using Org.BouncyCastle.Crypto.Parameters;

namespace MailAppliance.Pipeline.Tests.Authentication;

/// <summary>
/// DKIM signing and verification with keys published in a loopback DNS server, checked both ways against Debian's
/// python3-dkim: what we sign dkimverify accepts, and what dkimsign signs we accept.
/// </summary>
public sealed class DkimTests : IAsyncLifetime
{
    private LoopbackDnsServer _dns = null!;
    private DkimChecker _checker = null!;
    private string _directory = "";

    public Task InitializeAsync()
    {
        _dns = LoopbackDnsServer.Start();
        _checker = new DkimChecker(new DnsResolver(new DnsResolverOptions { Servers = [_dns.Endpoint], Timeout = TimeSpan.FromSeconds(2), Attempts = 1 }));
        _directory = TestDirectories.Create("dkim");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _dns.DisposeAsync();
        TestDirectories.Delete(_directory);
    }

    [Theory]
    [InlineData(DkimKeyAlgorithm.Rsa)]
    [InlineData(DkimKeyAlgorithm.Ed25519)]
    public async Task What_we_sign_verifies_here_and_in_dkimverify(DkimKeyAlgorithm algorithm)
    {
        var key = Publish("example.test", "s1", algorithm);
        foreach (var message in new[] { TestMessages.Simple(), TestMessages.Awkward() })
        {
            var signed = await SignAsync(message, key);

            var results = await VerifyAsync(signed);
            var result = Assert.Single(results);
            Assert.True(result.Code == DkimResultCode.Pass, result.Reason);
            Assert.Equal(("example.test", "s1", DkimKeys.SignatureAlgorithmName(algorithm)), (result.Domain, result.Selector, result.Algorithm));
            Assert.Equal(8, result.SignaturePrefix.Length);

            var (exit, output) = await DkimPeer.RunAsync(_dns.Endpoint.Port, signed, "dkimverify");
            Assert.True(exit == 0, $"dkimverify: {output}");
            Assert.Contains("signature ok", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_signature_covers_the_body_and_oversigns_From()
    {
        var key = Publish("example.test", "s2", DkimKeyAlgorithm.Rsa);
        var signed = await SignAsync(TestMessages.Simple(), key);
        var text = Encoding.UTF8.GetString(signed);
        var field = text[..text.IndexOf("\r\nFrom:", StringComparison.Ordinal)];
        Assert.StartsWith("DKIM-Signature:", field, StringComparison.Ordinal);
        Assert.Contains("c=relaxed/relaxed", field, StringComparison.Ordinal);
        var h = field[(field.IndexOf("h=", StringComparison.Ordinal) + 2)..];
        h = new string(h[..h.IndexOf(';', StringComparison.Ordinal)].Where(c => !char.IsWhiteSpace(c)).ToArray());
        Assert.Equal(2, h.Split(':').Count(n => n.Equals("from", StringComparison.OrdinalIgnoreCase)));
        Assert.Contains("subject", h, StringComparison.OrdinalIgnoreCase);

        var tampered = Encoding.UTF8.GetBytes(text.Replace("at noon", "at one", StringComparison.Ordinal));
        Assert.Equal(DkimResultCode.Fail, Assert.Single(await VerifyAsync(tampered)).Code);
        Assert.NotEqual(0, (await DkimPeer.RunAsync(_dns.Endpoint.Port, tampered, "dkimverify")).Exit);

        // A second From added on top breaks the oversigned signature.
        var extraFrom = Encoding.UTF8.GetBytes("From: mallory@evil.test\r\n" + text);
        Assert.Equal(DkimResultCode.Fail, Assert.Single(await VerifyAsync(extraFrom)).Code);
    }

    [Fact]
    public async Task A_domain_with_RSA_and_Ed25519_keys_gets_both_signatures()
    {
        var rsa = Publish("dual.test", "rsa1", DkimKeyAlgorithm.Rsa);
        var ed = Publish("dual.test", "ed1", DkimKeyAlgorithm.Ed25519);
        var service = new DkimSigningService(new FixedKeys(rsa, ed));
        var message = TestMessages.Simple(from: "Alice <alice@mail.dual.test>");
        var outcome = await service.SignAsync(new MemoryStream(message));
        Assert.True(outcome.Signed);
        Assert.Equal("dual.test", outcome.Domain);
        Assert.Equal(["rsa1", "ed1"], outcome.Selectors);

        var signed = Encoding.ASCII.GetBytes(outcome.Fields).Concat(message).ToArray();
        var results = await VerifyAsync(signed);
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(DkimResultCode.Pass, r.Code));
        Assert.Equal(0, (await DkimPeer.RunAsync(_dns.Endpoint.Port, signed, "dkimverify")).Exit);

        Assert.False((await service.SignAsync(new MemoryStream(TestMessages.Simple(from: "x@unknown.test")))).Signed);
    }

    [Fact]
    public async Task What_dkimsign_signs_verifies_here()
    {
        using var rsa = RSA.Create(2048);
        _dns.Txt("s3._domainkey.peer.test", $"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}");
        var rsaFile = Path.Combine(_directory, "rsa.pem");
        await File.WriteAllTextAsync(rsaFile, rsa.ExportRSAPrivateKeyPem() + "\n");
        var rsaSigned = await DkimPeer.SignAsync(_dns.Endpoint.Port, TestMessages.Awkward(from: "alice@peer.test"), "s3", "peer.test", rsaFile, ed25519: false);
        var rsaResult = Assert.Single(await VerifyAsync(rsaSigned));
        Assert.True(rsaResult.Code == DkimResultCode.Pass, rsaResult.Reason);

        var ed = DkimKeys.Generate(DkimKeyAlgorithm.Ed25519);
        _dns.Txt("e3._domainkey.peer.test", ed.PublicKeyRecord);
        var seed = ((Ed25519PrivateKeyParameters)DkimKeys.ReadPrivateKey(ed.PrivateKeyPem).Key).GetEncoded();
        var edFile = Path.Combine(_directory, "ed.key");
        await File.WriteAllTextAsync(edFile, Convert.ToBase64String(seed) + "\n");
        var edSigned = await DkimPeer.SignAsync(_dns.Endpoint.Port, TestMessages.Simple(from: "alice@peer.test"), "e3", "peer.test", edFile, ed25519: true);
        var edResult = Assert.Single(await VerifyAsync(edSigned));
        Assert.True(edResult.Code == DkimResultCode.Pass, edResult.Reason);
        Assert.Equal("ed25519-sha256", edResult.Algorithm);
    }

    [Fact]
    public async Task Key_trouble_is_a_permerror_or_a_temperror()
    {
        var key = Publish("keys.test", "good", DkimKeyAlgorithm.Rsa);
        var signed = await SignAsync(TestMessages.Simple(from: "a@keys.test"), key);
        string Retarget(string selector) => Encoding.ASCII.GetString(signed).Replace("s=good", $"s={selector}", StringComparison.Ordinal);

        _dns.Txt("revoked._domainkey.keys.test", "v=DKIM1; k=rsa; p=");
        _dns.ServFail("broken._domainkey.keys.test");
        var missing = Assert.Single(await VerifyAsync(Encoding.ASCII.GetBytes(Retarget("missing"))));
        Assert.Equal(DkimResultCode.PermError, missing.Code);
        Assert.Contains("no key", missing.Reason, StringComparison.Ordinal);
        Assert.Equal(DkimResultCode.PermError, Assert.Single(await VerifyAsync(Encoding.ASCII.GetBytes(Retarget("revoked")))).Code);
        Assert.Equal(DkimResultCode.TempError, Assert.Single(await VerifyAsync(Encoding.ASCII.GetBytes(Retarget("broken")))).Code);
    }

    [Theory]
    [InlineData("a=rsa-sha1", "rsa-sha1")]
    [InlineData("x=1000000000", "expired")]
    [InlineData("h=subject:date", "From is not signed")]
    [InlineData("i=@other.test", "not within")]
    [InlineData("v=2", "version")]
    public async Task Signatures_that_must_be_refused(string tag, string reason)
    {
        var name = tag[..tag.IndexOf('=', StringComparison.Ordinal)];
        var field = $"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.test; s=s1; h=from:subject; bh=AAAA; b=BBBBBBBBBBBB";
        field = field.Contains($" {name}=", StringComparison.Ordinal)
            ? string.Join("; ", field["DKIM-Signature: ".Length..].Split("; ").Select(t => t.StartsWith(name + "=", StringComparison.Ordinal) ? tag : t)).Insert(0, "DKIM-Signature: ")
            : field + "; " + tag;
        var message = Encoding.ASCII.GetBytes(field + "\r\n").Concat(TestMessages.Simple()).ToArray();
        var result = Assert.Single(await VerifyAsync(message));
        Assert.Equal(DkimResultCode.PermError, result.Code);
        Assert.Contains(reason, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unsigned_message_has_no_results()
    {
        Assert.Empty(await VerifyAsync(TestMessages.Simple()));
        Assert.Equal(ArcResultCode.None, (await _checker.VerifyArcAsync(Parse(TestMessages.Simple()))).Code);
    }

    [Fact]
    public async Task An_ARC_set_made_with_MimeKit_validates_and_breaks_when_altered()
    {
        var key = Publish("forwarder.test", "arc1", DkimKeyAlgorithm.Rsa);
        var message = Parse(TestMessages.Simple());
        var signer = new TestArcSigner(key) { HeaderCanonicalizationAlgorithm = MimeKit.Cryptography.DkimCanonicalizationAlgorithm.Relaxed, BodyCanonicalizationAlgorithm = MimeKit.Cryptography.DkimCanonicalizationAlgorithm.Relaxed };
        await signer.SignAsync(message, [HeaderId.From, HeaderId.Subject, HeaderId.Date, HeaderId.To]);
        using var bytes = new MemoryStream();
        await message.WriteToAsync(bytes);

        var arc = await _checker.VerifyArcAsync(Parse(bytes.ToArray()));
        Assert.Equal(ArcResultCode.Pass, arc.Code);
        Assert.Equal(1, arc.Instances);

        var altered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes.ToArray()).Replace("Subject: Lunch", "Subject: Dinner", StringComparison.Ordinal));
        Assert.Equal(ArcResultCode.Fail, (await _checker.VerifyArcAsync(Parse(altered))).Code);
    }

    private DkimSigningKey Publish(string domain, string selector, DkimKeyAlgorithm algorithm)
    {
        var pair = DkimKeys.Generate(algorithm);
        _dns.Txt($"{selector}._domainkey.{domain}", pair.PublicKeyRecord);
        var (read, key) = DkimKeys.ReadPrivateKey(pair.PrivateKeyPem);
        Assert.Equal(algorithm, read);
        return new DkimSigningKey(domain, selector, algorithm, key);
    }

    private static async Task<byte[]> SignAsync(byte[] message, DkimSigningKey key)
    {
        var fields = await new DkimMessageSigner().SignAsync(new MemoryStream(message), [key]);
        Assert.EndsWith("\r\n", fields, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\n\r\n", fields, StringComparison.Ordinal);
        return Encoding.ASCII.GetBytes(fields).Concat(message).ToArray();
    }

    private async Task<IReadOnlyList<DkimResult>> VerifyAsync(byte[] message) => await _checker.VerifyAsync(Parse(message));

    private static MimeMessage Parse(byte[] message) => MimeMessage.Load(new MemoryStream(message));

    private sealed class FixedKeys(params DkimSigningKey[] keys) : IDkimKeySource
    {
        public Task<IReadOnlyList<DkimSigningKey>> ActiveKeysAsync(string domain, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<DkimSigningKey>>(keys.Where(k => k.Domain == domain).ToList());
    }

    private sealed class TestArcSigner(DkimSigningKey key) : MimeKit.Cryptography.ArcSigner(key.PrivateKey, key.Domain, key.Selector, MimeKit.Cryptography.DkimSignatureAlgorithm.RsaSha256)
    {
        protected override MimeKit.Cryptography.AuthenticationResults GenerateArcAuthenticationResults(FormatOptions options, MimeMessage message, CancellationToken cancellationToken)
        {
            var results = new MimeKit.Cryptography.AuthenticationResults(key.Domain);
            results.Results.Add(new MimeKit.Cryptography.AuthenticationMethodResult("spf", "pass"));
            return results;
        }

        protected override Task<MimeKit.Cryptography.AuthenticationResults> GenerateArcAuthenticationResultsAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
            Task.FromResult(GenerateArcAuthenticationResults(options, message, cancellationToken));
    }
}
