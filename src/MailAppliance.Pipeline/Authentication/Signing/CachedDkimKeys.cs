using System.Collections.Concurrent;
using MailAppliance.Storage.Database;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// Remembers which keys each domain has (most domains mail leaves from have none), so that sending does not read
/// the key index once per message. What is remembered is forgotten when the index changes (the
/// <c>dkim_keys_changed</c> notification of migration 0071, from any process), and is never used while that
/// listener is down (a change could be missed) nor after <see cref="MaxAge"/> (a key file replaced in place).
/// </summary>
public sealed class CachedDkimKeys : IDkimKeySource
{
    /// <summary>The longest a remembered answer is used (key files edited by hand are noticed within this).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    private readonly IDkimKeySource _inner;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (long Generation, long At, IReadOnlyList<DkimSigningKey> Keys)> _entries = new(StringComparer.OrdinalIgnoreCase);
    private long _generation;
    private volatile bool _listening;

    /// <param name="inner">The key index itself.</param>
    /// <param name="changes">A listener on <c>dkim_keys_changed</c>.</param>
    /// <param name="time">The clock of <see cref="MaxAge"/>.</param>
    public CachedDkimKeys(IDkimKeySource inner, ChannelListener changes, TimeProvider time)
    {
        _inner = inner;
        _time = time;
        changes.Notified += _ => Forget();
        changes.Connected += () =>
        {
            Forget();
            _listening = true;
        };
        changes.Lost += () =>
        {
            _listening = false;
            Forget();
        };
        changes.EnsureStarted();
    }

    public async Task<IReadOnlyList<DkimSigningKey>> ActiveKeysAsync(string domain, CancellationToken cancellationToken = default)
    {
        var generation = Interlocked.Read(ref _generation);
        var now = _time.GetTimestamp();
        if (_listening && _entries.TryGetValue(domain, out var entry) && entry.Generation == generation && _time.GetElapsedTime(entry.At, now) < MaxAge)
        {
            return entry.Keys;
        }

        var listening = _listening;
        var keys = await _inner.ActiveKeysAsync(domain, cancellationToken);
        // Remembered only if nothing changed while it was read (a notification in between bumps the generation).
        if (listening && Interlocked.Read(ref _generation) == generation)
        {
            _entries[domain] = (generation, now, keys);
        }

        return keys;
    }

    private void Forget()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }
}
