using System.Text;
using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Tests.Protocol;

public class SmtpCommandParserTests
{
    private static SmtpCommand Ok(string line)
    {
        var result = SmtpCommandParser.Parse(Encoding.UTF8.GetBytes(line));
        Assert.True(result.Command is not null, $"'{line}' was refused: {result.Error}");
        return result.Command!;
    }

    private static SmtpReply Refused(string line)
    {
        var result = SmtpCommandParser.Parse(Encoding.UTF8.GetBytes(line));
        Assert.True(result.Error is not null, $"'{line}' was accepted as {result.Command}");
        return result.Error!;
    }

    [Theory]
    [InlineData("EHLO client.example", "client.example")]
    [InlineData("ehlo [192.0.2.7]", "[192.0.2.7]")]
    [InlineData("EHLO client.example extra words", "client.example")]
    public void Ehlo_takes_a_domain_or_literal(string line, string domain) =>
        Assert.Equal(domain, Assert.IsType<SmtpCommand.Ehlo>(Ok(line)).Domain);

    [Theory]
    [InlineData("EHLO")]
    [InlineData("HELO ")]
    public void Ehlo_without_a_domain_is_a_syntax_error(string line) => Assert.Equal(501, Refused(line).Code);

    [Fact]
    public void Mail_from_with_every_parameter()
    {
        var mail = Assert.IsType<SmtpCommand.Mail>(Ok("MAIL FROM:<alice@example.net> SIZE=12345 BODY=8BITMIME SMTPUTF8 AUTH=<> RET=HDRS ENVID=abc"));
        Assert.Equal("alice@example.net", mail.From.Address!.ToString());
        Assert.Equal(12345, mail.Parameters.Size);
        Assert.Equal("8BITMIME", mail.Parameters.Body);
        Assert.True(mail.Parameters.SmtpUtf8);
        Assert.Equal("HDRS", mail.Parameters.Ret);
        Assert.False(mail.Parameters.RequireTls);
    }

    [Fact]
    public void Mail_takes_the_requiretls_keyword_of_rfc_8689()
    {
        var mail = Assert.IsType<SmtpCommand.Mail>(Ok("MAIL FROM:<alice@example.net> requiretls SIZE=10"));
        Assert.True(mail.Parameters.RequireTls);
        Assert.Equal(10, mail.Parameters.Size);
    }

    [Theory]
    [InlineData("MAIL FROM:<>")]
    [InlineData("mail from:<>")]
    [InlineData("MAIL FROM: <>")]
    public void The_null_reverse_path_is_accepted(string line) =>
        Assert.True(Assert.IsType<SmtpCommand.Mail>(Ok(line)).From.IsNull);

    [Theory]
    [InlineData("MAIL FROM:alice@example.net")]
    [InlineData("MAIL FROM: <alice@example.net>")]
    [InlineData("MAIL FROM:<@relay.example:alice@example.net>")]
    [InlineData("MAIL FROM:<\"alice smith\"@example.net>")]
    public void Harmless_variations_of_mail_from_are_tolerated(string line) =>
        Assert.NotNull(Assert.IsType<SmtpCommand.Mail>(Ok(line)).From.Address);

    [Theory]
    [InlineData("MAIL FROM:<alice@example.net", 501)]
    [InlineData("MAIL FROM:<alice@>", 501)]
    [InlineData("MAIL FROM:<alice@example.net>SIZE=1", 501)]
    [InlineData("MAIL TO:<alice@example.net>", 501)]
    [InlineData("MAIL FROM:<alice@example.net> SIZE=abc", 555)]
    [InlineData("MAIL FROM:<alice@example.net> SIZE=123456789012345678901", 555)]
    [InlineData("MAIL FROM:<alice@example.net> BODY=9BIT", 555)]
    [InlineData("MAIL FROM:<alice@example.net> FROBNICATE=1", 555)]
    [InlineData("MAIL FROM:<alice@example.net> REQUIRETLS=YES", 555)]
    [InlineData("MAIL FROM:<a@[192.0.2.1]>", 501)]
    public void Bad_mail_from_is_refused_with_the_right_code(string line, int code) => Assert.Equal(code, Refused(line).Code);

    [Fact]
    public void Rcpt_to_a_plain_address_and_dsn_parameters()
    {
        var rcpt = Assert.IsType<SmtpCommand.Rcpt>(Ok("RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.test"));
        Assert.Equal("bob@example.test", rcpt.To.Address!.ToString());
        Assert.False(rcpt.To.HasSourceRoute);
        Assert.Equal("SUCCESS,FAILURE", rcpt.Parameters["NOTIFY"]);
    }

    [Theory]
    [InlineData("RCPT TO:<Postmaster>")]
    [InlineData("RCPT TO:<postmaster>")]
    public void The_bare_postmaster_is_accepted(string line) =>
        Assert.True(Assert.IsType<SmtpCommand.Rcpt>(Ok(line)).To.IsPostmaster);

    [Fact]
    public void Source_routes_and_address_literals_are_reported_for_the_relay_rules()
    {
        var routed = Assert.IsType<SmtpCommand.Rcpt>(Ok("RCPT TO:<@hop1.example,@hop2.example:victim@elsewhere.example>"));
        Assert.True(routed.To.HasSourceRoute);
        Assert.Equal("victim@elsewhere.example", routed.To.Address!.ToString());
        var literal = Assert.IsType<SmtpCommand.Rcpt>(Ok("RCPT TO:<victim@[192.0.2.9]>"));
        Assert.Equal("[192.0.2.9]", literal.To.AddressLiteral);
        Assert.Null(literal.To.Address);
    }

    [Fact]
    public void Quoted_local_parts_with_at_signs_keep_their_content()
    {
        var rcpt = Assert.IsType<SmtpCommand.Rcpt>(Ok("RCPT TO:<\"victim@elsewhere.example\"@example.test>"));
        Assert.Equal("victim@elsewhere.example", rcpt.To.Address!.LocalPart);
        Assert.Equal("example.test", rcpt.To.Address.Domain.Ascii);
    }

    [Theory]
    [InlineData("RCPT TO:<>", 501)]
    [InlineData("RCPT TO:", 501)]
    [InlineData("RCPT TO:<bob@example.test> FOO=bar", 555)]
    [InlineData("RCPT TO:<bob@@example.test>", 501)]
    [InlineData("RCPT FROM:<bob@example.test>", 501)]
    public void Bad_rcpt_is_refused(string line, int code) => Assert.Equal(code, Refused(line).Code);

    [Fact]
    public void Utf8_addresses_parse_for_smtputf8()
    {
        var rcpt = Assert.IsType<SmtpCommand.Rcpt>(Ok("RCPT TO:<用户@例子.测试>"));
        Assert.True(rcpt.To.Address!.RequiresSmtpUtf8);
        Assert.Equal("xn--fsqu00a.xn--0zwm56d", rcpt.To.Address.Domain.Ascii);
    }

    [Theory]
    [InlineData("BDAT 1000", 1000L, false)]
    [InlineData("BDAT 0 LAST", 0L, true)]
    [InlineData("bdat 42 last", 42L, true)]
    public void Bdat_sizes_and_last(string line, long size, bool last)
    {
        var bdat = Assert.IsType<SmtpCommand.Bdat>(Ok(line));
        Assert.Equal(size, bdat.Size);
        Assert.Equal(last, bdat.Last);
    }

    [Theory]
    [InlineData("BDAT")]
    [InlineData("BDAT -1")]
    [InlineData("BDAT 10 FIRST")]
    [InlineData("BDAT 99999999999999999999")]
    public void Bad_bdat_is_a_syntax_error(string line) => Assert.Equal(501, Refused(line).Code);

    [Fact]
    public void Auth_with_and_without_initial_response()
    {
        Assert.Equal(new SmtpCommand.Auth("PLAIN", "AGFsaWNlAHNlY3JldA=="), Ok("AUTH plain AGFsaWNlAHNlY3JldA=="));
        Assert.Equal(new SmtpCommand.Auth("LOGIN", null), Ok("AUTH LOGIN"));
        Assert.Equal(new SmtpCommand.Auth("PLAIN", "="), Ok("AUTH PLAIN ="));
    }

    [Theory]
    [InlineData("DATA", typeof(SmtpCommand.Data))]
    [InlineData("RSET", typeof(SmtpCommand.Rset))]
    [InlineData("NOOP", typeof(SmtpCommand.Noop))]
    [InlineData("NOOP anything", typeof(SmtpCommand.Noop))]
    [InlineData("QUIT", typeof(SmtpCommand.Quit))]
    [InlineData("STARTTLS", typeof(SmtpCommand.StartTls))]
    [InlineData("HELP", typeof(SmtpCommand.Help))]
    [InlineData("VRFY bob", typeof(SmtpCommand.Vrfy))]
    [InlineData("EXPN list", typeof(SmtpCommand.Expn))]
    public void Simple_commands(string line, Type type) => Assert.IsType(type, Ok(line));

    [Theory]
    [InlineData("DATA now", 501)]
    [InlineData("QUIT please", 501)]
    [InlineData("STARTTLS x", 501)]
    [InlineData("VRFY", 501)]
    [InlineData("XYZZY", 500)]
    [InlineData("", 500)]
    [InlineData("MAIL FROM:<a@b.example>\0", 501)]
    public void Malformed_commands(string line, int code) => Assert.Equal(code, Refused(line).Code);

    [Fact]
    public void Invalid_utf8_is_a_syntax_error()
    {
        Assert.Equal(501, SmtpCommandParser.Parse([(byte)'H', (byte)'E', (byte)'L', (byte)'O', (byte)' ', 0xC3, 0x28]).Error!.Code);
    }

    [Fact]
    public void Replies_serialise_multiline_with_enhanced_codes()
    {
        var reply = new SmtpReply(250, null, ["mx.example.test", "PIPELINING", "SIZE 1000"]);
        Assert.Equal("250-mx.example.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", Encoding.ASCII.GetString(reply.ToBytes()));
        Assert.Equal("550 5.1.1 No such user here\r\n", Encoding.ASCII.GetString(SmtpReplies.UnknownUser.ToBytes()));
    }
}
