using System.Collections.Concurrent;

namespace MailAppliance.Pipeline.Dns;

/// <summary>
/// Answers kept for as long as they may be (RFC 1035 §3.2.1 TTL, RFC 2308 §5 negative TTL), keyed by name and type.
/// Times come from the injected <see cref="TimeProvider"/> so tests can move the clock.
/// </summary>
internal sealed class DnsCache
{
    private readonly ConcurrentDictionary<(string Name, int Type), Entry> _entries = new();
    private readonly TimeProvider _time;
    private readonly int _capacity;

    public DnsCache(TimeProvider time, int capacity)
    {
        _time = time;
        _capacity = Math.Max(16, capacity);
    }

    public int Count => _entries.Count;

    public bool TryGet(string name, int type, out object result)
    {
        result = null!;
        if (!_entries.TryGetValue((name, type), out var entry))
        {
            return false;
        }

        if (entry.Expires <= _time.GetTimestamp())
        {
            _entries.TryRemove(KeyValuePair.Create((name, type), entry));
            return false;
        }

        result = entry.Result;
        return true;
    }

    public void Set(string name, int type, object result, TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }

        if (_entries.Count >= _capacity)
        {
            Trim();
        }

        var now = _time.GetTimestamp();
        _entries[(name, type)] = new Entry(result, now + (long)(ttl.TotalSeconds * _time.TimestampFrequency), now);
    }

    public void Clear() => _entries.Clear();

    // Expired entries go first; if the cache is still full, the oldest quarter goes, so a burst of distinct names
    // (a DNSBL run over many addresses) cannot grow it without bound.
    private void Trim()
    {
        var now = _time.GetTimestamp();
        foreach (var (key, entry) in _entries)
        {
            if (entry.Expires <= now)
            {
                _entries.TryRemove(KeyValuePair.Create(key, entry));
            }
        }

        if (_entries.Count < _capacity)
        {
            return;
        }

        foreach (var (key, entry) in _entries.OrderBy(e => e.Value.Stored).Take(_capacity / 4).ToList())
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
        }
    }

    private sealed record Entry(object Result, long Expires, long Stored);
}
