using MailAppliance.Core.Addresses;

namespace MailAppliance.Core.Tests.Addresses;

public class MailAddressTests
{
    [Theory]
    [InlineData("alice@example.test", "alice", "example.test")]
    [InlineData("Alice.Smith+tag@Example.TEST", "Alice.Smith+tag", "example.test")]
    [InlineData("o'brien@example.test", "o'brien", "example.test")]
    [InlineData("!#$%&'*+-/=?^_`{|}~@example.test", "!#$%&'*+-/=?^_`{|}~", "example.test")]
    [InlineData("\"john doe\"@example.test", "john doe", "example.test")]
    [InlineData("\"a\\\"b\"@example.test", "a\"b", "example.test")]
    [InlineData("user@bücher.example", "user", "xn--bcher-kva.example")]
    [InlineData("用户@例子.测试", "用户", "xn--fsqu00a.xn--0zwm56d")]
    [InlineData("alice@example.test.", "alice", "example.test")]
    public void Parses_valid_addresses(string text, string localPart, string domain)
    {
        Assert.True(MailAddress.TryParse(text, out var address, out var error), error);
        Assert.Equal(localPart, address.LocalPart);
        Assert.Equal(domain, address.Domain.Ascii);
    }

    [Theory]
    [InlineData("")]
    [InlineData("alice")]
    [InlineData("@example.test")]
    [InlineData("alice@")]
    [InlineData("alice@@example.test")]
    [InlineData(".alice@example.test")]
    [InlineData("alice.@example.test")]
    [InlineData("al..ice@example.test")]
    [InlineData("al ice@example.test")]
    [InlineData("al(ice@example.test")]
    [InlineData("\"unterminated@example.test")]
    [InlineData("alice@[192.0.2.1]")]
    [InlineData("alice@-example.test")]
    [InlineData("alice@example..test")]
    [InlineData("alice@exa_mple.test")]
    [InlineData("<alice@example.test>")]
    [InlineData("\"tab\there\"@example.test")]
    public void Refuses_invalid_addresses(string text)
    {
        Assert.False(MailAddress.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Refuses_a_local_part_over_64_octets()
    {
        Assert.True(MailAddress.TryParse(new string('a', 64) + "@example.test", out _, out _));
        Assert.False(MailAddress.TryParse(new string('a', 65) + "@example.test", out _, out var error));
        Assert.Contains("64", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_ignores_case_of_local_part_and_domain()
    {
        var a = MailAddress.Parse("Alice@EXAMPLE.test");
        var b = MailAddress.Parse("alice@example.TEST");
        Assert.Equal(a.Key, b.Key);
        Assert.Equal("alice@example.test", a.Key);
        Assert.Equal("Alice@example.test", a.ToString());
    }

    [Fact]
    public void Unicode_and_ace_forms_of_a_domain_are_the_same_key()
    {
        Assert.Equal(MailAddress.Parse("x@bücher.example").Key, MailAddress.Parse("x@xn--bcher-kva.example").Key);
    }

    [Fact]
    public void Quoted_local_parts_are_requoted_when_formatted()
    {
        Assert.Equal("\"john doe\"@example.test", MailAddress.Parse("\"john doe\"@example.test").ToString());
        Assert.Equal("plain@example.test", MailAddress.Parse("\"plain\"@example.test").ToString());
    }

    [Fact]
    public void Utf8_local_part_requires_smtputf8()
    {
        Assert.True(MailAddress.Parse("用户@example.test").RequiresSmtpUtf8);
        Assert.False(MailAddress.Parse("user@bücher.example").RequiresSmtpUtf8);
    }
}
