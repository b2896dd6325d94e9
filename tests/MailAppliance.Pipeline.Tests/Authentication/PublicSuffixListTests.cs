using MailAppliance.Pipeline.Authentication;

namespace MailAppliance.Pipeline.Tests.Authentication;

public sealed class PublicSuffixListTests
{
    private static readonly PublicSuffixList Rules = PublicSuffixList.Parse("""
        // test rules
        com
        uk
        co.uk
        *.ck
        !www.ck
        jp
        *.kawasaki.jp
        !city.kawasaki.jp
        公司.cn
        cn
        """);

    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("a.b.example.com", "example.com")]
    [InlineData("Mail.Example.CO.UK.", "example.co.uk")]
    [InlineData("co.uk", "co.uk")]
    [InlineData("b.example.ck", "b.example.ck")]
    [InlineData("a.www.ck", "www.ck")]
    [InlineData("x.city.kawasaki.jp", "city.kawasaki.jp")]
    [InlineData("shop.xn--55qx5d.cn", "shop.xn--55qx5d.cn")]
    [InlineData("a.b.unlisted", "b.unlisted")]
    public void Organisational_domains(string domain, string expected) => Assert.Equal(expected, Rules.OrganizationalDomain(domain));

    [Fact]
    public void The_system_list_and_the_built_in_copy_agree()
    {
        var system = PublicSuffixList.Load();
        var builtIn = PublicSuffixList.BuiltIn();
        Assert.True(builtIn.RuleCount > 5000);
        if (File.Exists(PublicSuffixList.SystemPath))
        {
            Assert.Equal(PublicSuffixList.SystemPath, system.Source);
        }

        foreach (var (domain, expected) in new[] { ("mail.example.co.uk", "example.co.uk"), ("foo.bar.github.io", "bar.github.io"), ("www.example.com", "example.com"), ("a.b.c.kobe.jp", "b.c.kobe.jp") })
        {
            Assert.Equal(expected, builtIn.OrganizationalDomain(domain));
            Assert.Equal(expected, system.OrganizationalDomain(domain));
        }
    }
}
