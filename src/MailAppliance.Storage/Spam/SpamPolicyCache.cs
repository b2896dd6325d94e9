using MailAppliance.Storage.Database;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Storage.Spam;

/// <summary>
/// The spam policy rows of each recipient's scopes, remembered while the settings stay as they were: intake scores
/// every recipient of every message, and without this each one cost a database round trip.
/// </summary>
/// <remarks>
/// Exact in the same way as <see cref="Accounts.RecipientCache"/>: every change to <c>spam_settings</c> or
/// <c>spam_list_entries</c>, by any process or by hand, notifies <c>spam_settings_changed</c> at commit (migration
/// 0031) and each notification forgets everything; nothing is remembered while the LISTEN connection is down; an
/// entry older than ten seconds is read again whatever happened (<see cref="NotifiedMemo{T}"/>).
/// </remarks>
public sealed class SpamPolicyCache : ISpamPolicySource, IAsyncDisposable
{
    private readonly ISpamPolicySource _store;
    private readonly NotifiedMemo<SpamPolicyRows> _memo;

    public SpamPolicyCache(ISpamPolicySource store, StorageDatabase db, TimeProvider time, ILogger logger)
    {
        _store = store;
        _memo = new NotifiedMemo<SpamPolicyRows>(db, "spam_settings_changed", time, logger);
    }

    /// <summary>Whether the notifications are being received (and so whether anything is remembered).</summary>
    public bool IsListening => _memo.IsListening;

    /// <summary>How many times the remembered rows were forgotten (see <see cref="NotifiedMemo{T}.Generation"/>).</summary>
    internal long Generation => _memo.Generation;

    public Task<SpamPolicyRows> ReadAsync(IReadOnlyList<SpamScope> scopes, CancellationToken cancellationToken) =>
        _memo.GetAsync(string.Join('\n', scopes.Select(s => $"{(int)s.Kind}:{s.Name}")), token => _store.ReadAsync(scopes, token), null, cancellationToken);

    public ValueTask DisposeAsync() => _memo.DisposeAsync();
}
