using System.Net;
using MailAppliance.Core.Addresses;
using MailAppliance.Core.Sasl;
using MailAppliance.Core.Security;
using MailAppliance.Storage.Accounts;
using MailAppliance.Testing;

namespace MailAppliance.Storage.Tests.Accounts;

public class AuthenticatorTests : IClassFixture<DatabaseFixture>
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");
    private readonly AccountDirectory _directory;
    private readonly PasswordHasher _hasher = new(1000);
    private readonly string _domain = $"a{Guid.NewGuid():N}"[..10] + ".test";

    public AuthenticatorTests(DatabaseFixture database)
    {
        _directory = new AccountDirectory(database.Database);
        _directory.AddDomainAsync(DomainName.Parse(_domain)).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task A_login_checks_the_password_and_the_authorization_id_and_feeds_the_throttle()
    {
        var address = $"ann@{_domain}";
        await _directory.AddUserAsync(MailAddress.Parse(address), _hasher.Hash("right"), null);
        var authenticator = new Authenticator(_directory, _hasher);
        var throttle = new AuthThrottle();

        var ok = await authenticator.LoginAsync(Client, new SaslCredentials(null, address.ToUpperInvariant(), "right"), throttle, TimeProvider.System, CancellationToken.None);
        Assert.Equal(AuthenticationStatus.Succeeded, ok.Status);
        Assert.Equal(address, ok.Address!.Key);

        var otherIdentity = await authenticator.LoginAsync(Client, new SaslCredentials($"boss@{_domain}", address, "right"), throttle, TimeProvider.System, CancellationToken.None);
        Assert.Equal(AuthenticationStatus.Failed, otherIdentity.Status);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(AuthenticationStatus.Failed, (await authenticator.LoginAsync(Client, new SaslCredentials(null, address, "wrong"), throttle, TimeProvider.System, CancellationToken.None)).Status);
        }

        Assert.True(throttle.DelayFor(Client, address) > TimeSpan.Zero, "four failures must slow the next attempt");
        Assert.Equal(AuthenticationStatus.Failed, (await authenticator.LoginAsync(Client, new SaslCredentials(null, $"nobody@{_domain}", "x"), throttle, TimeProvider.System, CancellationToken.None)).Status);
    }
}
