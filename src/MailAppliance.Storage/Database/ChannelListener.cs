using Microsoft.Extensions.Logging;

namespace MailAppliance.Storage.Database;

/// <summary>
/// Listens on one PostgreSQL notification channel: started on first use, kept while the process runs. Whoever owns it
/// hears of every notification, of each (re)connection (anything sent while nobody listened was missed) and of each
/// loss. Every listener of a database shares one connection (<see cref="NotificationHub"/>).
/// </summary>
public sealed class ChannelListener : IAsyncDisposable
{
    private readonly NotificationHub _hub;
    private int _started;

    /// <param name="db">Where to listen.</param>
    /// <param name="channel">The channel (an identifier of ours, never user input).</param>
    /// <param name="logger">Where a lost connection is reported.</param>
    public ChannelListener(StorageDatabase db, string channel, ILogger logger)
    {
        _hub = db.Notifications;
        Channel = channel;
        Logger = logger;
    }

    /// <summary>A notification arrived; the argument is its payload.</summary>
    public event Action<string>? Notified;

    /// <summary>The channel is listened to again (after start or a reconnect): notifications may have been missed.</summary>
    public event Action? Connected;

    /// <summary>The connection was lost; it is being re-established.</summary>
    public event Action? Lost;

    internal string Channel { get; }

    internal ILogger Logger { get; }

    /// <summary>Starts listening, once; later calls do nothing.</summary>
    public void EnsureStarted()
    {
        if (Volatile.Read(ref _started) == 0 && Interlocked.Exchange(ref _started, 1) == 0)
        {
            _hub.Subscribe(this);
        }
    }

    internal void OnNotified(string payload) => Notified?.Invoke(payload);

    internal void OnConnected() => Connected?.Invoke();

    internal void OnLost() => Lost?.Invoke();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _started, 2) == 1)
        {
            await _hub.UnsubscribeAsync(this);
        }
    }
}
