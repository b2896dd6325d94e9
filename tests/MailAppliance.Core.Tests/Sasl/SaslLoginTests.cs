using System.Text;
using MailAppliance.Core.Sasl;

namespace MailAppliance.Core.Tests.Sasl;

public class SaslLoginTests
{
    [Fact]
    public void Username_then_password()
    {
        var exchange = SaslExchange.Create("LOGIN")!;
        var step = exchange.Start(null);
        Assert.Equal("Username:", Decode(step.Challenge!));
        step = exchange.Respond(B64("tim@example.test"));
        Assert.Equal("Password:", Decode(step.Challenge!));
        step = exchange.Respond(B64("secret"));
        Assert.Equal(SaslStepKind.Completed, step.Kind);
        Assert.Equal(new SaslCredentials(null, "tim@example.test", "secret"), step.Credentials);
    }

    [Fact]
    public void Initial_response_is_the_username()
    {
        var exchange = SaslExchange.Create("login")!;
        var step = exchange.Start(B64("tim"));
        Assert.Equal(SaslLoginExchange.PasswordChallenge, step.Challenge);
        Assert.Equal("secret", exchange.Respond(B64("secret")).Credentials!.Password);
    }

    [Fact]
    public void Empty_initial_response_is_an_empty_username()
    {
        Assert.Equal(SaslError.EmptyAuthenticationId, SaslExchange.Create("LOGIN")!.Start("=").Error);
    }

    [Theory]
    [InlineData(0, "*", SaslError.Cancelled)]
    [InlineData(1, "*", SaslError.Cancelled)]
    [InlineData(0, "dGlt\r", SaslError.InvalidBase64)]
    [InlineData(0, "dGlt=", SaslError.InvalidBase64)]
    [InlineData(0, "", SaslError.EmptyAuthenticationId)]
    [InlineData(1, "", SaslError.EmptyPassword)]
    [InlineData(0, "dABp", SaslError.Malformed)]  // "t\0i": a NUL in a user name
    [InlineData(1, "wyg=", SaslError.InvalidUtf8)]
    public void Malformed_answers(int atStep, string response, SaslError error)
    {
        var exchange = SaslExchange.Create("LOGIN")!;
        exchange.Start(null);
        if (atStep == 1)
        {
            exchange.Respond(B64("tim"));
        }

        var step = exchange.Respond(response);
        Assert.Equal(SaslStepKind.Failed, step.Kind);
        Assert.Equal(error, step.Error);
        Assert.True(exchange.IsFinished);
    }

    [Fact]
    public void Long_answers_are_refused()
    {
        var exchange = SaslExchange.Create("LOGIN", new SaslLimits(MaxFieldOctets: 16))!;
        exchange.Start(null);
        Assert.Equal(SaslError.TooLong, exchange.Respond(B64(new string('u', 17))).Error);
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Decode(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64));
}
