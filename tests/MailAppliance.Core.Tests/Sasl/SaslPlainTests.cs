using System.Text;
using MailAppliance.Core.Sasl;

namespace MailAppliance.Core.Tests.Sasl;

public class SaslPlainTests
{
    [Fact]
    public void Initial_response_with_empty_authzid_completes()
    {
        var step = SaslExchange.Create("PLAIN")!.Start(B64("\0tim\0tanstaaftanstaaf"));
        Assert.Equal(SaslStepKind.Completed, step.Kind);
        Assert.Equal(new SaslCredentials(null, "tim", "tanstaaftanstaaf"), step.Credentials);
    }

    [Fact]
    public void Authzid_is_kept_when_given()
    {
        // RFC 4616 §4 example: "Kurt" acting as "Ursel".
        var step = SaslExchange.Create("plain")!.Start(B64("Ursel\0Kurt\0xipj3plmq"));
        Assert.Equal(new SaslCredentials("Ursel", "Kurt", "xipj3plmq"), step.Credentials);
    }

    [Fact]
    public void Utf8_names_and_passwords()
    {
        var step = SaslPlain.ParseResponse(B64("\0jörg@bücher.example\0pässwörd€"), SaslLimits.Default);
        Assert.Equal("jörg@bücher.example", step.Credentials!.AuthenticationId);
        Assert.Equal("pässwörd€", step.Credentials.Password);
    }

    [Fact]
    public void Without_initial_response_an_empty_challenge_comes_first()
    {
        var exchange = SaslExchange.Create("PLAIN")!;
        var step = exchange.Start(null);
        Assert.Equal(SaslStepKind.Challenge, step.Kind);
        Assert.Equal("", step.Challenge);
        step = exchange.Respond(B64("\0tim\0secret"));
        Assert.Equal(SaslStepKind.Completed, step.Kind);
        Assert.True(exchange.IsFinished);
        Assert.Equal(SaslError.ExchangeFinished, exchange.Respond(B64("\0tim\0secret")).Error);
    }

    [Fact]
    public void Equals_sign_is_an_empty_initial_response_which_plain_rejects()
    {
        // RFC 4954 §4: "=" means a zero-length initial response.
        var step = SaslExchange.Create("PLAIN")!.Start("=");
        Assert.Equal(SaslStepKind.Failed, step.Kind);
        Assert.Equal(SaslError.Malformed, step.Error);
    }

    [Theory]
    [InlineData("*", SaslError.Cancelled)]
    [InlineData("AHRpbQBzZWNyZXQ", SaslError.InvalidBase64)]      // padding missing
    [InlineData("AHRpbQBz ZWNyZXQ=", SaslError.InvalidBase64)]    // white space
    [InlineData("AHRpbQBzZWNyZXQ=\r\n", SaslError.InvalidBase64)] // line ending left in
    [InlineData("AHRpbQBzZWNyZXR=", SaslError.InvalidBase64)]     // non-zero pad bits
    [InlineData("AHRpbQBzZWNyZX=Q", SaslError.InvalidBase64)]     // padding in the middle
    [InlineData("AHRpbQBzZWNyZXQ-", SaslError.InvalidBase64)]     // base64url alphabet
    [InlineData("====", SaslError.InvalidBase64)]
    [InlineData("", SaslError.Malformed)]
    public void Malformed_base64_and_cancel(string response, SaslError error)
    {
        var exchange = SaslExchange.Create("PLAIN")!;
        exchange.Start(null);
        var step = exchange.Respond(response);
        Assert.Equal(SaslStepKind.Failed, step.Kind);
        Assert.Equal(error, step.Error);
    }

    [Theory]
    [InlineData("tim\0secret", SaslError.Malformed)]             // one NUL
    [InlineData("timsecret", SaslError.Malformed)]               // none
    [InlineData("\0tim\0sec\0ret", SaslError.Malformed)]         // three
    [InlineData("\0\0secret", SaslError.EmptyAuthenticationId)]
    [InlineData("\0tim\0", SaslError.EmptyPassword)]
    [InlineData("\0\0", SaslError.EmptyAuthenticationId)]
    public void Malformed_messages(string message, SaslError error)
    {
        var step = SaslPlain.ParseResponse(B64(message), SaslLimits.Default);
        Assert.Equal(SaslStepKind.Failed, step.Kind);
        Assert.Equal(error, step.Error);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        byte[] message = [0, (byte)'t', 0xC3, 0x28, 0, (byte)'p'];
        Assert.Equal(SaslError.InvalidUtf8, SaslPlain.ParseResponse(Convert.ToBase64String(message), SaslLimits.Default).Error);
    }

    [Fact]
    public void Fields_are_bounded()
    {
        var limits = new SaslLimits(MaxFieldOctets: 255);
        var atLimit = SaslPlain.ParseResponse(B64("\0" + new string('u', 255) + "\0" + new string('p', 255)), limits);
        Assert.Equal(SaslStepKind.Completed, atLimit.Kind);
        var longPassword = SaslPlain.ParseResponse(B64("\0tim\0" + new string('p', 256)), limits);
        Assert.Equal(SaslError.TooLong, longPassword.Error);
    }

    [Fact]
    public void Oversized_responses_are_refused_before_decoding()
    {
        var limits = new SaslLimits(MaxFieldOctets: 10);
        var huge = new string('!', 10_000); // not even base64: the length check comes first
        Assert.Equal(SaslError.TooLong, SaslPlain.ParseResponse(huge, limits).Error);
    }

    [Fact]
    public void Unknown_mechanisms_are_null()
    {
        Assert.Null(SaslExchange.Create("CRAM-MD5"));
        Assert.Equal(["PLAIN", "LOGIN"], SaslExchange.SupportedMechanisms);
    }

    [Fact]
    public void Encode_round_trips_and_credentials_hide_the_password()
    {
        var step = SaslPlain.ParseResponse(SaslPlain.Encode(null, "tim", "hunter2"), SaslLimits.Default);
        Assert.Equal("tim", step.Credentials!.AuthenticationId);
        Assert.DoesNotContain("hunter2", step.Credentials.ToString(), StringComparison.Ordinal);
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
