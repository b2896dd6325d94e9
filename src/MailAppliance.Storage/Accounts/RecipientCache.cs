using System.Collections.Concurrent;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Database;
using Microsoft.Extensions.Logging;
using Npgsql;

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
    private const string Channel = "directory_changed";
    private const int MaxEntries = 50_000;

    private readonly AccountDirectory _directory;
    private readonly TimeProvider _time;
    private readonly ChannelListener _listener;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;
    private volatile bool _listening;

    public RecipientCache(AccountDirectory directory, StorageDatabase db, TimeProvider time, ILogger<RecipientCache> logger)
    {
        _directory = directory;
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
            _listening = false; // RCPT reads the directory every time until the listener is back
            Forget();
        };
    }

    /// <summary>How long an entry is trusted even without a notification.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether the notifications are being received (and so whether anything is remembered).</summary>
    public bool IsListening => _listening;

    /// <summary>What <see cref="AccountDirectory.ResolveAsync"/> says of <paramref name="address"/>, from memory when still true.</summary>
    public async Task<Resolution> ResolveAsync(MailAddress address, CancellationToken cancellationToken = default)
    {
        _listener.EnsureStarted();
        var generation = Interlocked.Read(ref _generation);
        var now = _time.GetTimestamp();
        if (_listening && _entries.TryGetValue(address.Key, out var entry) && entry.Generation == generation
            && _time.GetElapsedTime(entry.ReadAt, now) < MaxAge)
        {
            return entry.Resolution;
        }

        // The generation is taken before the query: a change committed while it runs makes the entry stale at once.
        var listening = _listening;
        var resolution = await _directory.ResolveAsync(address, cancellationToken);
        if (listening && IsRememberable(resolution))
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[address.Key] = new Entry(resolution, generation, now);
        }

        return resolution;
    }

    private static bool IsRememberable(Resolution resolution) =>
        resolution is not Resolution.Recipients { Users: var users } || users.All(u => u.QuotaBytes is null && u.QuotaMessages is null);

    private void Forget()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private sealed record Entry(Resolution Resolution, long Generation, long ReadAt);
}
