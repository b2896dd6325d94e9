using MailAppliance.Smtp.Client;
using MailAppliance.Smtp.Client.MtaSts;

namespace MailAppliance.Smtp.Tests.Client.MtaSts;

public class MtaStsPolicyTests
{
    private static MtaStsPolicy Parse(string text)
    {
        Assert.True(MtaStsPolicy.TryParse(text, out var policy, out var error), error);
        return policy!;
    }

    [Fact]
    public void The_rfc_example_parses()
    {
        // RFC 8461 §3.2's example, CRLF line ends.
        var policy = Parse("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n");
        Assert.Equal(MtaStsMode.Enforce, policy.Mode);
        Assert.Equal(["mail.example.com", "*.example.net", "backupmx.example.com"], policy.Mx);
        Assert.Equal(TimeSpan.FromDays(7), policy.MaxAge);
    }

    [Fact]
    public void Lf_line_ends_spaces_unknown_keys_and_repeated_keys_are_handled()
    {
        var policy = Parse("version: STSv1\nmode:testing\nmode: enforce\nextension: whatever\nmx:  MX.Example.COM.  \nmax_age: 86400\n");
        Assert.Equal(MtaStsMode.Testing, policy.Mode); // the first occurrence counts
        Assert.Equal(["mx.example.com"], policy.Mx);
    }

    [Theory]
    [InlineData("mode: enforce\nmx: a.example\nmax_age: 1\n", "version")]
    [InlineData("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "version")]
    [InlineData("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", "mode")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\n", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 1\n", "no mx")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n", "mx")]
    [InlineData("<html>not a policy</html>", "key: value")]
    public void Broken_policies_are_refused_with_a_reason(string text, string reason)
    {
        Assert.False(MtaStsPolicy.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Mode_none_needs_no_mx_and_max_age_is_capped_at_a_year()
    {
        var policy = Parse("version: STSv1\nmode: none\nmax_age: 9999999999\n");
        Assert.Equal(MtaStsMode.None, policy.Mode);
        Assert.Equal(TimeSpan.FromSeconds(MtaStsPolicy.MaxMaxAgeSeconds), policy.MaxAge);
    }

    [Theory]
    [InlineData("mail.example.com", true)]
    [InlineData("MAIL.example.com.", true)]
    [InlineData("mx1.example.net", true)]
    [InlineData("example.net", false)]
    [InlineData("a.mx1.example.net", false)]
    [InlineData("evil-example.net", false)]
    [InlineData("other.example.com", false)]
    public void Mx_patterns_match_as_rfc_8461_section_4_1_says(string host, bool matches)
    {
        var policy = Parse("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 60\n");
        Assert.Equal(matches, policy.Matches(host));
    }

    [Fact]
    public void Enforce_asks_for_a_verified_certificate_naming_the_mx_and_excludes_other_hosts()
    {
        var enforce = Parse("version: STSv1\nmode: enforce\nmx: *.example.net\nmax_age: 60\n");
        Assert.Equal(TlsPolicy.RequiredVerified("mx1.example.net").Describe(), enforce.TlsPolicyFor("mx1.example.net.")!.Describe());
        Assert.Null(enforce.TlsPolicyFor("mx.elsewhere.test"));
        var testing = Parse("version: STSv1\nmode: testing\nmx: *.example.net\nmax_age: 60\n");
        Assert.Same(TlsPolicy.Opportunistic, testing.TlsPolicyFor("mx.elsewhere.test"));
    }

    [Theory]
    [InlineData(new[] { "v=STSv1; id=20160831085700Z;" }, "20160831085700Z")]
    [InlineData(new[] { "v=STSv1;id=abc123" }, "abc123")]
    [InlineData(new[] { "v=spf1 -all", "v=STSv1; id=abc; ext=1" }, "abc")]
    [InlineData(new[] { "v=STSv1; id=a", "v=STSv1; id=b" }, null)]
    [InlineData(new[] { "v=STSv1; id=has-dash" }, null)]
    [InlineData(new[] { "v=STSv1; id=123456789012345678901234567890123" }, null)]
    [InlineData(new[] { "v=STSv1;" }, null)]
    [InlineData(new string[0], null)]
    public void The_txt_record_names_the_policy_id(string[] records, string? id) =>
        Assert.Equal(id, MtaStsRecord.FromTxt(records)?.Id);
}
