using MailAppliance.Core.Addresses;
using System.Net;
using MailAppliance.Core.Sasl;
using MailAppliance.Core.Security;

namespace MailAppliance.Storage.Accounts;

public enum AuthenticationStatus
{
    Succeeded,
    Failed,

    /// <summary>The directory could not be asked (database trouble): a temporary failure, never "wrong password".</summary>
    Unavailable,
}

public sealed record AuthenticationResult(AuthenticationStatus Status, long UserId = 0, MailAddress? Address = null)
{
    public static AuthenticationResult Failed { get; } = new(AuthenticationStatus.Failed);

    /// <summary>Why the check could not be made (with <see cref="AuthenticationStatus.Unavailable"/>), for the log.</summary>
    public Exception? Error { get; init; }
}

/// <summary>
/// Checks a login name (the user's address) and password for every protocol. A hash stored with weaker parameters
/// than configured is replaced on the next successful login. Database trouble escapes as an exception, so the
/// protocol answers a temporary failure instead of "wrong password".
/// </summary>
public sealed class Authenticator
{
    private readonly AccountDirectory _directory;
    private readonly PasswordHasher _hasher;
    private readonly string _decoyHash;
    private readonly VerifiedCredentialsCache? _cache;
    private readonly Action? _onFailure;

    /// <param name="directory">The users and their hashes.</param>
    /// <param name="hasher">Hashing as configured (Auth:Pbkdf2Iterations).</param>
    /// <param name="cache">Logins verified lately (null: every login pays the full key derivation).</param>
    public Authenticator(AccountDirectory directory, PasswordHasher hasher, VerifiedCredentialsCache? cache = null)
    {
        _directory = directory;
        _hasher = hasher;
        _cache = cache;
        _decoyHash = hasher.Hash(Guid.NewGuid().ToString("N"));
    }

    private Authenticator(Authenticator other, Action onFailure)
    {
        _directory = other._directory;
        _hasher = other._hasher;
        _decoyHash = other._decoyHash;
        _cache = other._cache;
        _onFailure = onFailure;
    }

    /// <summary>The same authenticator, calling <paramref name="onFailure"/> after each failed login (one protocol's
    /// <c>mailappliance_auth_failures_total</c>). The callback must return at once and not throw.</summary>
    public Authenticator WithFailureCallback(Action onFailure) => new(this, onFailure);

    /// <summary>
    /// A protocol login (SMTP AUTH, POP3 USER/PASS or AUTH, IMAP LOGIN): waits as long as the throttle says for this
    /// client and account, checks the credentials (an authorization id other than the login is refused), and records
    /// the outcome with the throttle.
    /// </summary>
    public async Task<AuthenticationResult> LoginAsync(IPAddress client, SaslCredentials credentials, AuthThrottle throttle, TimeProvider time, CancellationToken cancellationToken)
    {
        var delay = throttle.DelayFor(client, credentials.AuthenticationId);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, time, cancellationToken);
        }

        AuthenticationResult result;
        try
        {
            result = await AuthenticateAsync(credentials.AuthenticationId, credentials.Password, cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or IOException)
        {
            return new AuthenticationResult(AuthenticationStatus.Unavailable) { Error = e };
        }

        if (result.Status != AuthenticationStatus.Succeeded
            || (credentials.AuthorizationId is { Length: > 0 } authz && !string.Equals(authz, credentials.AuthenticationId, StringComparison.OrdinalIgnoreCase)))
        {
            throttle.RecordFailure(client, credentials.AuthenticationId);
            _onFailure?.Invoke();
            return AuthenticationResult.Failed;
        }

        throttle.RecordSuccess(client, credentials.AuthenticationId);
        return result;
    }

    public async Task<AuthenticationResult> AuthenticateAsync(string login, string password, CancellationToken cancellationToken)
    {
        if (!MailAddress.TryParse(login, out var address, out _) || password.Length == 0)
        {
            return AuthenticationResult.Failed;
        }

        var generation = _cache?.Generation ?? 0;
        var found = await _directory.FindLoginAsync(address, cancellationToken);
        if (found is { } known && _cache?.Find(address, password, known.PasswordHash) is { } remembered)
        {
            // Verified lately against this very hash: no key derivation (a mismatch falls through to the full check).
            return new AuthenticationResult(AuthenticationStatus.Succeeded, remembered.UserId, remembered.Address);
        }

        if (found is not { } account)
        {
            // Spend the same time as a real check, so timing does not tell which accounts exist.
            _hasher.Verify(password, _decoyHash);
            return AuthenticationResult.Failed;
        }

        var verification = _hasher.Verify(password, account.PasswordHash);
        if (verification == PasswordVerification.Failed)
        {
            return AuthenticationResult.Failed;
        }

        var stored = account.PasswordHash;
        if (verification == PasswordVerification.SucceededNeedsRehash)
        {
            stored = _hasher.Hash(password);
            await _directory.SetPasswordAsync(address, stored, cancellationToken);
        }

        _cache?.Remember(address, password, stored, account.UserId, address, generation);
        return new AuthenticationResult(AuthenticationStatus.Succeeded, account.UserId, address);
    }
}
