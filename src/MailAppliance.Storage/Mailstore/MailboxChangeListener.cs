using System.Collections.Concurrent;
using MailAppliance.Storage.Database;
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
    private readonly ChannelListener _listener;
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<MailboxWatch, byte>> _watches = new();
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<MailboxWatch, byte>> _userWatches = new();

    public MailboxChangeListener(StorageDatabase db, ILogger<MailboxChangeListener> logger)
    {
        _listener = new ChannelListener(db, Channel, logger);
        _listener.Notified += Dispatch;
        _listener.Connected += WakeAll; // anything that happened while we were not listening may have been missed
        _listener.Lost += WakeAll;
    }

    /// <summary>Starts watching a mailbox; dispose the watch to stop.</summary>
    public MailboxWatch Watch(long mailboxId)
    {
        _listener.EnsureStarted();
        var watch = new MailboxWatch(this, mailboxId);
        _watches.GetOrAdd(mailboxId, _ => new ConcurrentDictionary<MailboxWatch, byte>())[watch] = 0;
        return watch;
    }

    /// <summary>
    /// Starts watching a user's mailbox list, subscriptions and annotations (RFC 5465 NOTIFY: MailboxName,
    /// SubscriptionChange, metadata events); the watch's <see cref="MailboxWatch.MailboxId"/> is the user id.
    /// </summary>
    public MailboxWatch WatchUser(long userId)
    {
        _listener.EnsureStarted();
        var watch = new MailboxWatch(this, userId, isUser: true);
        _userWatches.GetOrAdd(userId, _ => new ConcurrentDictionary<MailboxWatch, byte>())[watch] = 0;
        return watch;
    }

    internal void Remove(MailboxWatch watch)
    {
        if ((watch.IsUser ? _userWatches : _watches).TryGetValue(watch.MailboxId, out var set))
        {
            set.TryRemove(watch, out _);
        }
    }

    private void Dispatch(string payload)
    {
        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        if (colon > 1 && payload[0] == 'u' && long.TryParse(payload.AsSpan(1, colon - 1), out var userId))
        {
            // u<user id>:<kind>: the mailbox list, the subscriptions or the annotations of a user changed.
            if (_userWatches.TryGetValue(userId, out var users))
            {
                foreach (var watch in users.Keys)
                {
                    watch.Signal(payload[(colon + 1)..]);
                }
            }

            return;
        }

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
        foreach (var set in _watches.Values.Concat(_userWatches.Values))
        {
            foreach (var watch in set.Keys)
            {
                watch.Signal("reconnect");
            }
        }
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}

/// <summary>A session's interest in one mailbox: a flag that says "look again", and a way to wait for it.</summary>
public sealed class MailboxWatch : IDisposable
{
    private readonly MailboxChangeListener _owner;
    private readonly object _lock = new();
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<string> _kinds = new(StringComparer.Ordinal);
    private bool _dirty;
    private bool _full;

    internal MailboxWatch(MailboxChangeListener owner, long mailboxId, bool isUser = false)
    {
        _owner = owner;
        MailboxId = mailboxId;
        IsUser = isUser;
    }

    /// <summary>The mailbox watched (or, for a user watch, the user).</summary>
    public long MailboxId { get; }

    /// <summary>Whether this watches a user's mailbox list and annotations rather than one mailbox.</summary>
    public bool IsUser { get; }

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
            _kinds.Clear();
            if (_signal.Task.IsCompleted)
            {
                _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return result;
        }
    }

    /// <summary>The kinds of change signalled since the last take (<c>exists</c>, <c>flags</c>, <c>expunge</c>, <c>list</c>, <c>metadata</c>, ...), then clears the flag.</summary>
    public IReadOnlySet<string> TakeKinds()
    {
        lock (_lock)
        {
            var kinds = new HashSet<string>(_kinds, StringComparer.Ordinal);
            _dirty = false;
            _full = false;
            _kinds.Clear();
            if (_signal.Task.IsCompleted)
            {
                _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return kinds;
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
            _kinds.Add(kind);
            signal = _signal;
        }

        signal.TrySetResult();
    }

    public void Dispose() => _owner.Remove(this);
}
