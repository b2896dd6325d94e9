using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Database;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Storage.Accounts;

/// <summary>
/// RCPT-time resolutions, remembered while the directory stays as it was. A sender with many messages for the same
/// few addresses costs one query per address, not one per RCPT.
/// </summary>
/// <remarks>
/// Exactness first:
/// - every change to the directory, by any process or by hand, notifies <c>directory_changed</c> at commit
///   (triggers, migration 0006), and each notification forgets everything remembered;
/// - nothing is remembered while the LISTEN connection is down (a database outage, start-up), so an outage
///   answers as it would without the cache, and a reconnect forgets everything too (notifications may have been
///   missed);
/// - a resolution that names a user with a quota is never remembered: its usage changes with every delivery and
///   every expunge, and RCPT compares it with the declared size;
/// - an entry older than <see cref="MaxAge"/> is read again, whatever happened.
/// </remarks>
public sealed class RecipientCache : IAsyncDisposable
{
    private readonly AccountDirectory _directory;
    private readonly NotifiedMemo<Resolution> _memo;

    public RecipientCache(AccountDirectory directory, StorageDatabase db, TimeProvider time, ILogger<RecipientCache> logger)
    {
        _directory = directory;
        _memo = new NotifiedMemo<Resolution>(db, "directory_changed", time, logger);
    }

    /// <summary>How long an entry is trusted even without a notification.</summary>
    public TimeSpan MaxAge
    {
        get => _memo.MaxAge;
        init => _memo.MaxAge = value;
    }

    /// <summary>Whether the notifications are being received (and so whether anything is remembered).</summary>
    public bool IsListening => _memo.IsListening;

    /// <summary>What <see cref="AccountDirectory.ResolveAsync"/> says of <paramref name="address"/>, from memory when still true.</summary>
    public Task<Resolution> ResolveAsync(MailAddress address, CancellationToken cancellationToken = default) =>
        _memo.GetAsync(address.Key, token => _directory.ResolveAsync(address, token), IsRememberable, cancellationToken);

    private static bool IsRememberable(Resolution resolution) =>
        resolution is not Resolution.Recipients { Users: var users } || users.All(u => u.QuotaBytes is null && u.QuotaMessages is null);

    public ValueTask DisposeAsync() => _memo.DisposeAsync();
}
