using System.Net;

namespace MailAppliance.Smtp.Client;

/// <summary>
/// Idle sessions kept for the next message to the same server (Postfix's connection cache): a session goes back
/// after a clean transaction and waits at most <see cref="SmtpClientOptions.ConnectionIdleTime"/>; one that has
/// carried <see cref="SmtpClientOptions.MaxMessagesPerConnection"/> messages or is older than
/// <see cref="SmtpClientOptions.MaxConnectionAge"/> is closed instead. Sessions are keyed by host, address, port,
/// TLS policy and credentials: a session is only reused under the terms it was opened with.
/// </summary>
public sealed class SmtpConnectionCache : IAsyncDisposable
{
    private readonly SmtpClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, List<SmtpClientSession>> _idle = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly ITimer _sweeper;
    private bool _disposed;

    public SmtpConnectionCache(SmtpClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        var period = options.ConnectionIdleTime / 2 > TimeSpan.FromMilliseconds(100) ? options.ConnectionIdleTime / 2 : TimeSpan.FromMilliseconds(100);
        _sweeper = _time.CreateTimer(_ => _ = SweepAsync(), null, period, period);
    }

    /// <summary>Idle sessions now in the cache.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _idle.Values.Sum(list => list.Count);
            }
        }
    }

    public static string Key(SmtpHost host, IPAddress address, int port, SmtpCredentials? credentials) =>
        $"{host.Name.ToLowerInvariant()}|{address}|{port}|{host.Tls.Describe()}|{credentials?.UserName}";

    /// <summary>An idle session for <paramref name="key"/>, taken out of the cache, or null.</summary>
    public SmtpClientSession? TryTake(string key)
    {
        var now = _time.GetUtcNow();
        List<SmtpClientSession> stale = [];
        SmtpClientSession? found = null;
        lock (_lock)
        {
            if (_idle.TryGetValue(key, out var list))
            {
                while (list.Count > 0 && found is null)
                {
                    var session = list[^1];
                    list.RemoveAt(list.Count - 1);
                    if (IsFresh(session, now))
                    {
                        found = session;
                    }
                    else
                    {
                        stale.Add(session);
                    }
                }

                if (list.Count == 0)
                {
                    _idle.Remove(key);
                }
            }
        }

        foreach (var session in stale)
        {
            _ = session.CloseAsync();
        }

        found?.PrepareForReuse();
        return found;
    }

    /// <summary>Gives a session back after use: kept when still good for another message, closed otherwise.</summary>
    public async Task ReturnAsync(string key, SmtpClientSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var now = _time.GetUtcNow();
        if (session.IsUsable && session.MessagesSent < _options.MaxMessagesPerConnection && now - session.OpenedAt < _options.MaxConnectionAge)
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    if (!_idle.TryGetValue(key, out var list))
                    {
                        _idle[key] = list = [];
                    }

                    list.Add(session);
                    return;
                }
            }
        }

        await session.CloseAsync();
    }

    private bool IsFresh(SmtpClientSession session, DateTimeOffset now) =>
        session.IsUsable && now - session.LastUsed < _options.ConnectionIdleTime && now - session.OpenedAt < _options.MaxConnectionAge;

    /// <summary>Closes sessions that waited too long (QUIT, as Postfix's cache does when it lets a connection go).</summary>
    private async Task SweepAsync()
    {
        var now = _time.GetUtcNow();
        List<SmtpClientSession> expired = [];
        lock (_lock)
        {
            foreach (var (key, list) in _idle.ToList())
            {
                expired.AddRange(list.Where(s => !IsFresh(s, now)));
                list.RemoveAll(s => !IsFresh(s, now));
                if (list.Count == 0)
                {
                    _idle.Remove(key);
                }
            }
        }

        foreach (var session in expired)
        {
            try
            {
                await session.CloseAsync();
            }
            catch (Exception)
            {
                // Closing is best effort, and this runs on a timer where nothing may escape.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<SmtpClientSession> all;
        lock (_lock)
        {
            _disposed = true;
            all = [.. _idle.Values.SelectMany(list => list)];
            _idle.Clear();
        }

        await _sweeper.DisposeAsync();
        await Task.WhenAll(all.Select(s => s.CloseAsync()));
    }
}
