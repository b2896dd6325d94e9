using System.Buffers;
using System.Text;
using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Tests.Client;

public class EhloCapabilitiesTests
{
    private static EhloCapabilities Parse(string wire)
    {
        var sequence = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(wire));
        Assert.Equal(ReplyParseStatus.Complete, ServerReplyParser.Default.TryParse(ref sequence, out var reply));
        return EhloCapabilities.Parse(reply!);
    }

    [Fact]
    public void A_postfix_ehlo_reply_offers_what_it_names()
    {
        var ehlo = Parse(
            "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n"
            + "250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n");
        Assert.Equal("mx.example.test", ehlo.ServerName);
        Assert.True(ehlo.Pipelining);
        Assert.True(ehlo.Size);
        Assert.Equal(10240000, ehlo.MaxSize);
        Assert.True(ehlo.StartTls);
        Assert.True(ehlo.EnhancedStatusCodes);
        Assert.True(ehlo.EightBitMime);
        Assert.True(ehlo.Dsn);
        Assert.True(ehlo.SmtpUtf8);
        Assert.True(ehlo.Chunking);
        Assert.False(ehlo.BinaryMime);
        Assert.False(ehlo.RequireTls);
        Assert.Equal(new HashSet<string> { "PLAIN", "LOGIN" }, ehlo.AuthMechanisms);
        Assert.True(ehlo.Offers("etrn"));
    }

    [Fact]
    public void Keywords_are_case_insensitive_and_old_auth_equals_form_is_understood()
    {
        var ehlo = Parse("250-mx\r\n250-pipelining\r\n250-AUTH=login\r\n250-requiretls\r\n250-BinaryMime\r\n250 size\r\n");
        Assert.True(ehlo.Pipelining);
        Assert.True(ehlo.RequireTls);
        Assert.True(ehlo.BinaryMime);
        Assert.Contains("LOGIN", ehlo.AuthMechanisms);
        Assert.True(ehlo.Size);
        Assert.Null(ehlo.MaxSize);
    }

    [Fact]
    public void Size_zero_means_no_fixed_maximum()
    {
        var ehlo = Parse("250-mx\r\n250 SIZE 0\r\n");
        Assert.True(ehlo.Size);
        Assert.Null(ehlo.MaxSize);
    }

    [Fact]
    public void A_refused_ehlo_offers_nothing()
    {
        Assert.Same(EhloCapabilities.None, Parse("502 5.5.1 Command not implemented\r\n"));
        var ehlo = Parse("250 mx.example.test\r\n");
        Assert.False(ehlo.Pipelining);
        Assert.Empty(ehlo.Keywords);
    }
}
