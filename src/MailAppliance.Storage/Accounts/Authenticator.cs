using MailAppliance.Core.Addresses;
using MailAppliance.Core.Security;

namespace MailAppliance.Storage.Accounts;

public enum AuthenticationStatus
{
    Succeeded,
    Failed,
}

public sealed record AuthenticationResult(AuthenticationStatus Status, long UserId = 0, MailAddress? Address = null)
{
    public static AuthenticationResult Failed { get; } = new(AuthenticationStatus.Failed);
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

    public Authenticator(AccountDirectory directory, PasswordHasher hasher)
    {
        _directory = directory;
        _hasher = hasher;
        _decoyHash = hasher.Hash(Guid.NewGuid().ToString("N"));
    }

    public async Task<AuthenticationResult> AuthenticateAsync(string login, string password, CancellationToken cancellationToken)
    {
        if (!MailAddress.TryParse(login, out var address, out _) || password.Length == 0)
        {
            return AuthenticationResult.Failed;
        }

        var found = await _directory.FindLoginAsync(address, cancellationToken);
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

        if (verification == PasswordVerification.SucceededNeedsRehash)
        {
            await _directory.SetPasswordAsync(address, _hasher.Hash(password), cancellationToken);
        }

        return new AuthenticationResult(AuthenticationStatus.Succeeded, account.UserId, address);
    }
}
