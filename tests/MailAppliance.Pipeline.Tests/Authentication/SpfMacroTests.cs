using System.Net;
using MailAppliance.Pipeline.Authentication;

namespace MailAppliance.Pipeline.Tests.Authentication;

/// <summary>Macro expansion, sans-I/O, with the examples of RFC 7208 §7.4.</summary>
public sealed class SpfMacroTests
{
    private static readonly SpfMacroContext V4 = new("strong-bad@email.example.com", "strong-bad", "email.example.com", "email.example.com",
        IPAddress.Parse("192.0.2.3"), "mx.example.org", "mx.receiver.test", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

    [Theory]
    [InlineData("%{s}", "strong-bad@email.example.com")]
    [InlineData("%{o}", "email.example.com")]
    [InlineData("%{d}", "email.example.com")]
    [InlineData("%{d4}", "email.example.com")]
    [InlineData("%{d3}", "email.example.com")]
    [InlineData("%{d2}", "example.com")]
    [InlineData("%{d1}", "com")]
    [InlineData("%{dr}", "com.example.email")]
    [InlineData("%{d2r}", "example.email")]
    [InlineData("%{l}", "strong-bad")]
    [InlineData("%{l-}", "strong.bad")]
    [InlineData("%{lr}", "strong-bad")]
    [InlineData("%{lr-}", "bad.strong")]
    [InlineData("%{l1r-}", "strong")]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")]
    [InlineData("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com")]
    [InlineData("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net")]
    [InlineData("%{h}", "mx.example.org")]
    public void RFC_7208_section_7_4_examples(string macro, string expected)
    {
        Assert.True(SpfMacroString.TryParse(macro, explanation: false, out var parsed, out var error), error);
        Assert.Equal(expected, parsed.Expand(V4, forDomain: false));
    }

    [Fact]
    public void The_IPv6_example()
    {
        var v6 = V4 with { Ip = IPAddress.Parse("2001:db8::cb01") };
        Assert.True(SpfMacroString.TryParse("%{ir}.%{v}._spf.%{d2}", explanation: false, out var parsed, out _));
        Assert.Equal("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", parsed.Expand(v6, forDomain: true));
    }

    [Theory]
    [InlineData("%{c} %{r} %{t}", "192.0.2.3 mx.receiver.test 1700000000")]
    [InlineData("100%% %_%- done", "100%  %20 done")]
    [InlineData("%{L}", "strong-bad")]
    [InlineData("%{S}", "strong-bad%40email.example.com")]
    public void Explanation_macros(string text, string expected)
    {
        Assert.True(SpfMacroString.TryParse(text, explanation: true, out var parsed, out var error), error);
        Assert.Equal(expected, parsed.Expand(V4, forDomain: false));
    }

    [Theory]
    [InlineData("%{c}.example.com")]
    [InlineData("%(ir).example.com")]
    [InlineData("%{d0}.example.com")]
    [InlineData("%{x}.example.com")]
    [InlineData("%{d2r?}.example.com")]
    [InlineData("%")]
    [InlineData("foo.example.123")]
    [InlineData("foo-bar")]
    [InlineData("example.-com")]
    [InlineData("")]
    public void Bad_domain_specs(string text) => Assert.False(SpfMacroString.TryParseDomainSpec(text, out _, out _));

    [Theory]
    [InlineData("example.com")]
    [InlineData("example.com.")]
    [InlineData("_spf.%{d2}")]
    [InlineData("%{ir}.%{v}._spf.%{d2}")]
    [InlineData("foo.example.xn--zckzah")]
    [InlineData("foo:bar/baz.example.com")]
    [InlineData("macro%%percent%_%_space%-url-space.example.com")]
    public void Good_domain_specs(string text) => Assert.True(SpfMacroString.TryParseDomainSpec(text, out _, out var error), error);

    [Fact]
    public void A_long_expansion_loses_labels_from_the_left()
    {
        var sender = V4 with { Domain = string.Join('.', Enumerable.Repeat("abcdefghij", 30)) + ".example" };
        Assert.True(SpfMacroString.TryParseDomainSpec("%{d}.example.com", out var parsed, out _));
        var name = parsed.Expand(sender, forDomain: true);
        Assert.True(name.Length <= 253);
        Assert.EndsWith(".example.example.com", name, StringComparison.Ordinal);
        Assert.StartsWith("abcdefghij.", name, StringComparison.Ordinal);
    }
}
