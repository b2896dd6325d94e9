using MailAppliance.Pipeline.Authentication;

namespace MailAppliance.Pipeline.Tests.Authentication;

public sealed class AuthenticationResultsHeaderTests
{
    private static readonly AuthenticationReport Nothing = new(null, [], new ArcResult(ArcResultCode.None, 0), new DmarcResult(DmarcResultCode.None, ""));

    [Fact]
    public void Nothing_checked_is_none() =>
        Assert.Equal("Authentication-Results: mx.example.org; none\r\n", AuthenticationResultsHeader.Format("mx.example.org", Nothing));

    [Fact]
    public void Every_method_with_its_properties_and_reasons()
    {
        var report = new AuthenticationReport(
            new SpfResult(SpfResultCode.TempError, SpfIdentity.Helo, "helo.example", "postmaster@helo.example") { Problem = "TXT helo.example: \"SERVFAIL\"" },
            [
                new DkimResult(DkimResultCode.Pass, "example.com", "s1", "rsa-sha256") { SignaturePrefix = "AbCdEfGh", Identity = "@example.com" },
                new DkimResult(DkimResultCode.Fail, "example.com", "s2", "ed25519-sha256") { SignaturePrefix = "zz/+9aaa", Reason = "signature did not verify" },
            ],
            new ArcResult(ArcResultCode.Fail, 2, "SealValidationFailed"),
            new DmarcResult(DmarcResultCode.Fail, "example.com") { Policy = DmarcPolicy.Reject, Disposition = DmarcPolicy.Quarantine });

        Assert.Equal(
            "Authentication-Results: mx.example.org;\r\n" +
            "\tspf=temperror reason=\"TXT helo.example: \\\"SERVFAIL\\\"\" smtp.helo=helo.example;\r\n" +
            "\tdkim=pass header.d=example.com header.i=@example.com header.s=s1 header.a=rsa-sha256 header.b=AbCdEfGh;\r\n" +
            "\tdkim=fail reason=\"signature did not verify\" header.d=example.com header.s=s2 header.a=ed25519-sha256 header.b=\"zz/+9aaa\";\r\n" +
            "\tdmarc=fail (p=reject dis=quarantine) header.from=example.com;\r\n" +
            "\tarc=fail reason=SealValidationFailed\r\n",
            AuthenticationResultsHeader.Format("mx.example.org.", report));
    }

    [Theory]
    [InlineData(" mx.example.org; spf=pass smtp.mailfrom=a@b", "mx.example.org")]
    [InlineData(" (comment (nested)) MX.Example.ORG 1; dkim=pass", "MX.Example.ORG")]
    [InlineData("\r\n\t\"mx.example.org\";\r\n\tnone", "mx.example.org")]
    [InlineData("mx.example.org;none", "mx.example.org")]
    public void The_authserv_id_is_found(string value, string expected)
    {
        Assert.True(AuthenticationResultsHeader.TryGetAuthServId(value, out var id));
        Assert.Equal(expected, id);
        Assert.True(AuthenticationResultsHeader.ClaimsHost(value, "mx.example.org."));
    }

    [Fact]
    public void Fields_of_other_hosts_are_not_ours()
    {
        Assert.False(AuthenticationResultsHeader.ClaimsHost(" mx.example.org.evil; spf=pass", "mx.example.org"));
        Assert.False(AuthenticationResultsHeader.ClaimsHost(" (mx.example.org) other.example; spf=pass", "mx.example.org"));
        Assert.False(AuthenticationResultsHeader.ClaimsHost("   ", "mx.example.org"));
        Assert.True(AuthenticationResultsHeader.IsClaimedField("authentication-results: mx.example.org; dmarc=pass", "mx.example.org"));
        Assert.False(AuthenticationResultsHeader.IsClaimedField("ARC-Authentication-Results: i=1; mx.example.org; dmarc=pass", "mx.example.org"));
    }
}
