using System.Diagnostics;
using System.Net;
using MailAppliance.Core.Addresses;
using MailAppliance.Core.Sasl;
using MailAppliance.Core.Security;
using MailAppliance.Storage.Accounts;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Storage.Tests.Accounts;

/// <summary>The verified-credentials cache: a repeated login skips the key derivation; a change to the user, by anyone, is seen.</summary>
public sealed class VerifiedCredentialsCacheTests : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.20");

    // Strong enough that a full check is clearly slower than a cached one (about 100 ms here).
    private readonly PasswordHasher _hasher = new(300_000);
    private readonly DatabaseFixture _database;
    private readonly AccountDirectory _directory;
    private readonly VerifiedCredentialsCache _cache;
    private readonly string _domain = $"c{Guid.NewGuid():N}"[..10] + ".test";

    public VerifiedCredentialsCacheTests(DatabaseFixture database)
    {
        _database = database;
        _directory = new AccountDirectory(database.Database);
        _directory.AddDomainAsync(DomainName.Parse(_domain)).GetAwaiter().GetResult();
        _cache = new VerifiedCredentialsCache(database.Database, TimeProvider.System, NullLogger<VerifiedCredentialsCache>.Instance);
    }

    [Fact]
    public async Task A_repeated_login_skips_the_key_derivation_and_a_wrong_password_pays_in_full()
    {
        var address = await UserAsync("rep", "secret");
        var authenticator = new Authenticator(_directory, _hasher, _cache);
        await ListeningAsync();

        var first = await TimedLoginAsync(authenticator, address, "secret");
        Assert.Equal(AuthenticationStatus.Succeeded, first.Result.Status);
        Assert.Equal(1, _cache.Count);

        // What the login path asks the cache (the stored hash as the directory has it): the right password is known
        // without a key derivation, a wrong one is not (it pays the full check). No timing: the machine's load decides that.
        var login = MailAddress.Parse(address);
        var stored = (await _directory.FindLoginAsync(login, CancellationToken.None))!.Value.PasswordHash;
        Assert.NotNull(_cache.Find(login, "secret", stored));
        Assert.Null(_cache.Find(login, "guess", stored));

        var repeated = await TimedLoginAsync(authenticator, address, "secret");
        Assert.Equal(AuthenticationStatus.Succeeded, repeated.Result.Status);

        var wrong = await TimedLoginAsync(authenticator, address, "guess");
        Assert.Equal(AuthenticationStatus.Failed, wrong.Result.Status);
        Assert.Equal(1, _cache.Count); // a wrong password is never remembered
    }

    [Fact]
    public async Task A_new_password_or_a_removed_user_is_seen_at_once()
    {
        var address = await UserAsync("chg", "old");
        var authenticator = new Authenticator(_directory, _hasher, _cache);
        await ListeningAsync();
        Assert.Equal(AuthenticationStatus.Succeeded, (await TimedLoginAsync(authenticator, address, "old")).Result.Status);

        // As "user passwd" does, from whatever process: the row's hash changes; the old password no longer works,
        // even before the notification arrives.
        var forgotten = Forgotten();
        await _directory.SetPasswordAsync(MailAddress.Parse(address), _hasher.Hash("new"), CancellationToken.None);
        Assert.Equal(AuthenticationStatus.Failed, (await TimedLoginAsync(authenticator, address, "old")).Result.Status);
        await forgotten;
        Assert.Equal(0, _cache.Count);
        Assert.Equal(AuthenticationStatus.Succeeded, (await TimedLoginAsync(authenticator, address, "new")).Result.Status);

        await _directory.RemoveUserAsync(MailAddress.Parse(address), CancellationToken.None);
        Assert.Equal(AuthenticationStatus.Failed, (await TimedLoginAsync(authenticator, address, "new")).Result.Status);
    }

    private async Task<string> UserAsync(string local, string password)
    {
        var address = $"{local}@{_domain}";
        await _directory.AddUserAsync(MailAddress.Parse(address), _hasher.Hash(password), null);
        return address;
    }

    private async Task ListeningAsync()
    {
        var connected = Forgotten();
        _cache.EnsureStarted();
        if (!_cache.IsListening)
        {
            await connected;
        }
    }

    private Task Forgotten()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _cache.Forgotten += () => done.TrySetResult();
        return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task<(AuthenticationResult Result, TimeSpan Elapsed)> TimedLoginAsync(Authenticator authenticator, string address, string password)
    {
        var watch = Stopwatch.StartNew();
        var result = await authenticator.LoginAsync(Client, new SaslCredentials(null, address, password), new AuthThrottle(), TimeProvider.System, CancellationToken.None);
        return (result, watch.Elapsed);
    }

    public ValueTask DisposeAsync() => _cache.DisposeAsync();
}
