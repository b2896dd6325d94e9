using MailAppliance.Core.Addresses;

namespace MailAppliance.Core.Tests.Addresses;

public class DomainNameTests
{
    [Theory]
    [InlineData("Example.TEST", "example.test")]
    [InlineData("mail.example.test.", "mail.example.test")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("XN--BCHER-KVA.example", "xn--bcher-kva.example")]
    [InlineData("a-b.c0.test", "a-b.c0.test")]
    public void Stores_lower_case_a_labels(string text, string ascii)
    {
        Assert.Equal(ascii, DomainName.Parse(text).Ascii);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(".")]
    [InlineData("-a.test")]
    [InlineData("a-.test")]
    [InlineData("a..test")]
    [InlineData("a_b.test")]
    [InlineData("a b.test")]
    [InlineData("[192.0.2.1]")]
    [InlineData("a/b.test")]
    public void Refuses_invalid_domains(string text)
    {
        Assert.False(DomainName.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Refuses_labels_over_63_and_names_over_253_characters()
    {
        Assert.True(DomainName.TryParse(new string('a', 63) + ".test", out _, out _));
        Assert.False(DomainName.TryParse(new string('a', 64) + ".test", out _, out _));
        var longName = string.Join('.', Enumerable.Repeat(new string('a', 60), 5));
        Assert.False(DomainName.TryParse(longName, out _, out _));
    }

    [Fact]
    public void Unicode_form_round_trips()
    {
        Assert.Equal("bücher.example", DomainName.Parse("xn--bcher-kva.example").Unicode);
    }
}
