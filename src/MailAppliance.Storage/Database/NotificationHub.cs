using Microsoft.Extensions.Logging;
using Npgsql;

namespace MailAppliance.Storage.Database;

/// <summary>
/// One LISTEN connection per database handle, on every channel its <see cref="ChannelListener"/>s name: reconnected
/// with a growing pause when lost.
/// </summary>
/// <remarks>
/// PostgreSQL 15 wakes every listening backend of a database on each NOTIFY, whatever the channel: with a connection
/// per channel, each queue batch at SMTP intake signalled seven backends, each woke, read the queue and went back to
/// sleep. One connection makes it one.
/// A listener whose channel is already listened to is told it is connected at once; a new channel reconnects (LISTEN
/// cannot be sent while the connection waits): every listener hears it lost and connected again, as after an outage,
/// and forgets what it remembered. That happens once per channel, at start-up.
/// </remarks>
internal sealed class NotificationHub : IAsyncDisposable
{
    private static readonly TimeSpan ProbeAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    private readonly NpgsqlDataSource _source;
    private readonly Lock _gate = new();
    private readonly List<ChannelListener> _listeners = [];
    private HashSet<string> _listening = new(StringComparer.Ordinal); // the channels of the live connection, when connected
    private bool _connected;
    private CancellationTokenSource? _stop;
    private CancellationTokenSource _resubscribe = new();
    private Task? _loop;

    public NotificationHub(NpgsqlDataSource source) => _source = source;

    public void Subscribe(ChannelListener listener)
    {
        lock (_gate)
        {
            _listeners.Add(listener);
            if (_loop is null)
            {
                _stop = new CancellationTokenSource();
                var stop = _stop.Token;
                _loop = Task.Run(() => RunAsync(stop));
            }
            else if (_connected && _listening.Contains(listener.Channel))
            {
                listener.OnConnected();
            }
            else if (_connected)
            {
                _resubscribe.Cancel(); // the loop reconnects with the new channel among the others
            }

            // Not connected: the loop, once its LISTEN is through, tells every listener whose channel it covers and
            // reconnects for any it does not (start-up subscribes many at once: one connection, not one each).
        }
    }

    public async Task UnsubscribeAsync(ChannelListener listener)
    {
        Task? loop = null;
        lock (_gate)
        {
            _listeners.Remove(listener);
            if (_listeners.Count == 0 && _loop is not null)
            {
                _stop!.Cancel();
                loop = _loop;
                _loop = null;
            }
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            ChannelListener[] listeners;
            CancellationToken resubscribe;
            lock (_gate)
            {
                _resubscribe.Dispose();
                _resubscribe = new CancellationTokenSource();
                resubscribe = _resubscribe.Token;
                listeners = [.. _listeners];
            }

            var channels = listeners.Select(l => l.Channel).ToHashSet(StringComparer.Ordinal);
            try
            {
                await using var connection = await _source.OpenConnectionAsync(stop);
                connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand(string.Concat(channels.Select(c => $"LISTEN {c};")), connection))
                {
                    await listen.ExecuteNonQueryAsync(stop);
                }

                lock (_gate)
                {
                    _connected = true;
                    _listening = channels;
                    foreach (var listener in _listeners.Where(l => channels.Contains(l.Channel)))
                    {
                        listener.OnConnected();
                    }

                    if (_listeners.Any(l => !channels.Contains(l.Channel)))
                    {
                        _resubscribe.Cancel(); // one came while this connection was being set up
                    }
                }

                failures = 0;
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop, resubscribe);
                while (!wait.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(ProbeAfter, wait.Token))
                    {
                        // Quiet for a while: make sure the connection is still there (a half-open TCP connection
                        // would otherwise wait for ever, hearing nothing).
                        await using var probe = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = (int)ProbeTimeout.TotalSeconds };
                        await probe.ExecuteNonQueryAsync(wait.Token);
                    }
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when (resubscribe.IsCancellationRequested)
            {
                // A new channel: reconnect at once.
            }
            catch (Exception e)
            {
                failures++;
                listeners.FirstOrDefault()?.Logger.LogWarning(e, "Listener on {Channels} lost its connection; reconnecting", string.Join(", ", channels));
            }

            lock (_gate)
            {
                _connected = false;
                foreach (var listener in _listeners)
                {
                    listener.OnLost();
                }
            }

            if (failures > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 200 * failures)), stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void Dispatch(string channel, string payload)
    {
        ChannelListener[] listeners;
        lock (_gate)
        {
            listeners = [.. _listeners.Where(l => l.Channel == channel)];
        }

        foreach (var listener in listeners)
        {
            listener.OnNotified(payload);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_gate)
        {
            _stop?.Cancel();
            loop = _loop;
            _loop = null;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
