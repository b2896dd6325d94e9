using System.Collections.Concurrent;
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
/// entry older than <see cref="MaxAge"/> is read again whatever happened.
/// </remarks>
public sealed class SpamPolicyCache : ISpamPolicySource, IAsyncDisposable
{
    private const string Channel = "spam_settings_changed";
    private const int MaxEntries = 50_000;

    private readonly ISpamPolicySource _store;
    private readonly TimeProvider _time;
    private readonly ChannelListener _listener;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;
    private volatile bool _listening;

    public SpamPolicyCache(ISpamPolicySource store, StorageDatabase db, TimeProvider time, ILogger logger)
    {
        _store = store;
        _time = time;
        _listener = new ChannelListener(db, Channel, logger);
        _listener.Notified += _ => Forget();
        _listener.Connected += () =>
        {
            Forget(); // whatever changed while nobody listened
            _listening = true;
        };
        _listener.Lost += () =>
        {
            _listening = false;
            Forget();
        };
    }

    /// <summary>How long an entry is trusted even without a notification.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether the notifications are being received (and so whether anything is remembered).</summary>
    public bool IsListening => _listening;

    public async Task<SpamPolicyRows> ReadAsync(IReadOnlyList<SpamScope> scopes, CancellationToken cancellationToken)
    {
        _listener.EnsureStarted();
        var key = string.Join('\n', scopes.Select(s => $"{(int)s.Kind}:{s.Name}"));
        var generation = Interlocked.Read(ref _generation);
        var now = _time.GetTimestamp();
        if (_listening && _entries.TryGetValue(key, out var entry) && entry.Generation == generation
            && _time.GetElapsedTime(entry.ReadAt, now) < MaxAge)
        {
            return entry.Rows;
        }

        // The generation is taken before the query: a change committed while it runs makes the entry stale at once.
        var listening = _listening;
        var rows = await _store.ReadAsync(scopes, cancellationToken);
        if (listening)
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[key] = new Entry(rows, generation, now);
        }

        return rows;
    }

    private void Forget()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private sealed record Entry(SpamPolicyRows Rows, long Generation, long ReadAt);
}
