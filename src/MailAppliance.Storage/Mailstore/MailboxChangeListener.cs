using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// One LISTEN connection per process on the store's <c>mailbox_changed</c> channel, fanned out to the sessions
/// watching each mailbox. Every change (this process's or another's) arrives through PostgreSQL, so there is one
/// path. When the connection is lost, every watcher is woken (it may have missed something) and it reconnects.
/// </summary>
public sealed class MailboxChangeListener : IAsyncDisposable
{
    private const string Channel = "mailbox_changed";
    private readonly NpgsqlDataSource _db;
    private readonly ILogger<MailboxChangeListener> _logger;
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<MailboxWatch, byte>> _watches = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly object _startLock = new();
    private Task? _loop;

    public MailboxChangeListener(NpgsqlDataSource db, ILogger<MailboxChangeListener> logger)
    {
        _db = db;
        _logger = logger;
    }

    /// <summary>Starts watching a mailbox; dispose the watch to stop.</summary>
    public MailboxWatch Watch(long mailboxId)
    {
        EnsureStarted();
        var watch = new MailboxWatch(this, mailboxId);
        _watches.GetOrAdd(mailboxId, _ => new ConcurrentDictionary<MailboxWatch, byte>())[watch] = 0;
        return watch;
    }

    internal void Remove(MailboxWatch watch)
    {
        if (_watches.TryGetValue(watch.MailboxId, out var set))
        {
            set.TryRemove(watch, out _);
        }
    }

    private void EnsureStarted()
    {
        lock (_startLock)
        {
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _db.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, e) => Dispatch(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                // Anything that happened while we were not listening may have been missed.
                WakeAll();
                failures = 0;
                while (!cancellationToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
            {
                failures++;
                _logger.LogWarning(e, "Mailbox change listener lost its connection; reconnecting");
                WakeAll();
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 200 * failures)), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void Dispatch(string payload)
    {
        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !long.TryParse(payload.AsSpan(0, colon), out var mailboxId))
        {
            return;
        }

        var rest = payload[(colon + 1)..];
        var kind = rest.Split(':')[0];
        if (_watches.TryGetValue(mailboxId, out var set))
        {
            foreach (var watch in set.Keys)
            {
                watch.Signal(kind);
            }
        }
    }

    private void WakeAll()
    {
        foreach (var set in _watches.Values)
        {
            foreach (var watch in set.Keys)
            {
                watch.Signal("reconnect");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }
}

/// <summary>A session's interest in one mailbox: a flag that says "look again", and a way to wait for it.</summary>
public sealed class MailboxWatch : IDisposable
{
    private readonly MailboxChangeListener _owner;
    private readonly object _lock = new();
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _dirty;
    private bool _full;

    internal MailboxWatch(MailboxChangeListener owner, long mailboxId)
    {
        _owner = owner;
        MailboxId = mailboxId;
    }

    public long MailboxId { get; }

    /// <summary>Whether a change was signalled since the last <see cref="Take"/>.</summary>
    public bool IsDirty
    {
        get
        {
            lock (_lock)
            {
                return _dirty;
            }
        }
    }

    /// <summary>Clears the flag; says whether a change came and whether it calls for a full comparison (reconstruct, reconnect).</summary>
    public (bool Dirty, bool Full) Take()
    {
        lock (_lock)
        {
            var result = (_dirty, _full);
            _dirty = false;
            _full = false;
            if (_signal.Task.IsCompleted)
            {
                _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return result;
        }
    }

    /// <summary>Completes when a change is (or already was) signalled.</summary>
    public Task WaitAsync()
    {
        lock (_lock)
        {
            return _dirty ? Task.CompletedTask : _signal.Task;
        }
    }

    internal void Signal(string kind)
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            _dirty = true;
            _full |= kind is "reconstruct" or "reconnect" or "deleted";
            signal = _signal;
        }

        signal.TrySetResult();
    }

    public void Dispose() => _owner.Remove(this);
}
