using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Storage.Database;

/// <summary>
/// Values read from PostgreSQL, remembered while a notification channel says nothing changed: every notification
/// forgets everything; nothing is remembered while the LISTEN connection is down (an outage answers as it would
/// without the memo, and a reconnect forgets, since notifications may have been missed); an entry older than
/// <see cref="MaxAge"/> is read again whatever happened. The tables' triggers notify the channel at commit.
/// </summary>
public sealed class NotifiedMemo<T> : IAsyncDisposable
{
    private const int MaxEntries = 50_000;

    private readonly TimeProvider _time;
    private readonly ChannelListener _listener;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;
    private volatile bool _listening;

    public NotifiedMemo(StorageDatabase db, string channel, TimeProvider time, ILogger logger)
    {
        _time = time;
        _listener = new ChannelListener(db, channel, logger);
        _listener.Notified += _ => Forget();
        _listener.Connected += () =>
        {
            Forget(); // whatever changed while nobody listened
            _listening = true;
        };
        _listener.Lost += () =>
        {
            _listening = false; // read every time until the listener is back
            Forget();
        };
    }

    /// <summary>How long an entry is trusted even without a notification.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether the notifications are being received (and so whether anything is remembered).</summary>
    public bool IsListening => _listening;

    /// <summary>How many times everything was forgotten (notifications, reconnections): tests wait on it.</summary>
    internal long Generation => Interlocked.Read(ref _generation);

    /// <summary>The value of <paramref name="key"/>: remembered while still true, else read (and remembered when <paramref name="rememberable"/> allows).</summary>
    public async Task<T> GetAsync(string key, Func<CancellationToken, Task<T>> read, Func<T, bool>? rememberable, CancellationToken cancellationToken)
    {
        _listener.EnsureStarted();
        var generation = Interlocked.Read(ref _generation);
        var now = _time.GetTimestamp();
        if (_listening && _entries.TryGetValue(key, out var entry) && entry.Generation == generation
            && _time.GetElapsedTime(entry.ReadAt, now) < MaxAge)
        {
            return entry.Value;
        }

        // The generation is taken before the query: a change committed while it runs makes the entry stale at once.
        var listening = _listening;
        var value = await read(cancellationToken);
        if (listening && (rememberable is null || rememberable(value)))
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[key] = new Entry(value, generation, now);
        }

        return value;
    }

    private void Forget()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private sealed record Entry(T Value, long Generation, long ReadAt);
}
